// Every page passes axe-core (WCAG 2.2 A and AA rules) with no serious or critical
// violation: signed out and signed in, hydrated, with the content a real room has.
import { type Page, expect, test } from '@playwright/test';
import { asAdmin, expectLive, newRoom, signUp } from './server';

const axeSource = require.resolve('axe-core/axe.min.js');

/** The serious and critical violations on `page`, each with where it is. */
async function violations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: axeSource });
  const results = await page.evaluate(async () => {
    // @ts-expect-error: axe is the script just added to the page.
    const axe = window.axe;
    return axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } });
  });
  type Violation = { id: string; impact: string; help: string; nodes: { target: string[] }[] };
  return (results.violations as Violation[])
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id} (${violation.help}): ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
}

test('the directory, a room, the sign-in and sign-up pages and a missing page pass axe signed out', async ({ page, request }) => {
  const slug = await newRoom(request);
  for (const path of ['/', `/rooms/${slug}`, '/signin', '/signup', '/rooms/no-such-room-here']) {
    await page.goto(path);
    expect(await violations(page), path).toEqual([]);
  }
});

test('the directory and a room with messages, mentions and members pass axe signed in', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const me = await signUp(context.request);
  const slug = await newRoom(context.request);
  const created = await context.request.post('/api/rooms', { data: { slug: `${slug}-p`, title: 'Private', private: true } });
  expect(created.status()).toBe(201);
  for (const body of ['hello there', `@${me} see https://example.com`]) {
    expect((await context.request.post(`/api/rooms/${slug}/messages`, { data: { body } })).status()).toBe(201);
  }
  for (const path of ['/', `/rooms/${slug}`, `/rooms/${slug}-p?members`]) {
    await page.goto(path);
    await expectLive(page);
    expect(await violations(page), path).toEqual([]);
  }
  await context.close();
});

test('a comment thread as another site frames it passes axe, with comments and without', async ({ page, request }) => {
  await signUp(request);
  const url = `http://localhost:4173/posts/${Date.now().toString(36)}`;
  const embed = `/embed/thread?url=${encodeURIComponent(url)}`;
  await page.goto(embed);
  expect(await violations(page), 'before any comment').toEqual([]);
  const made = await request.post('/api/threads', { data: { url, title: 'An article' } });
  const { room } = await made.json();
  expect((await request.post(`/api/rooms/${room}/messages`, { data: { body: 'A first comment' } })).status()).toBe(201);
  // The page shows the thread once it is made (it reloads itself), and its comment live.
  await expect(page.getByText('A first comment')).toBeVisible();
  expect(await violations(page), 'with a comment').toEqual([]);
});

test('the operations dashboard passes axe, its tables open', async ({ browser }) => {
  const page = await asAdmin(browser);
  await page.goto('/admin');
  await expectLive(page);
  await page.getByText('Posts per minute: table').click();
  expect(await violations(page)).toEqual([]);
  await page.context().close();
});
