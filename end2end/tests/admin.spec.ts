// The operations dashboard: an admin (MURMUR_ADMINS names e2e-moderator in scripts/test.sh)
// watches the posts chart move when someone posts, without reloading; anyone else gets the
// page a missing path gets, with a 404.
import { type Page, expect, test } from '@playwright/test';
import { asAdmin, expectLive, newRoom, signUp } from './server';

/** The posts chart's sum over the hour, as drawn now. */
async function postsThisHour(page: Page): Promise<number> {
  return Number(await page.locator('figure[data-figure="posts"]').getAttribute('data-hour'));
}

test('an admin sees the posts chart move when someone posts, without reloading', async ({ browser, request }) => {
  const slug = await newRoom(request);
  const admin = await asAdmin(browser);
  const response = await admin.goto('/admin');
  expect(response?.status()).toBe(200);
  await expect(admin.getByRole('heading', { name: 'Operations' })).toBeVisible();
  await expectLive(admin);
  const before = await postsThisHour(admin);

  expect((await request.post(`/api/rooms/${slug}/messages`, { data: { body: 'counted' } })).status()).toBe(201);
  await expect.poll(() => postsThisHour(admin)).toBeGreaterThan(before);
  const caption = admin.locator('figure[data-figure="posts"] figcaption');
  await expect(caption).toContainText('Posts per minute');
  // Each chart has its table behind it.
  await admin.getByText('Posts per minute: table').click();
  await expect(admin.getByRole('table').filter({ hasText: 'Minute (UTC)' }).first()).toBeVisible();
});

test('anyone else gets a 404 at /admin, signed in or not', async ({ browser, page }) => {
  const other = await browser.newContext();
  await signUp(other.request);
  for (const visitor of [page, await other.newPage()]) {
    const response = await visitor.goto('/admin');
    expect(response?.status()).toBe(404);
    await expect(visitor.getByRole('heading', { name: 'Nothing here' })).toBeVisible();
    await expect(visitor.getByText('Operations')).toHaveCount(0);
  }
});
