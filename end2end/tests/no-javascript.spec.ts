// With JavaScript off, the composer is a plain form: post, redirect back, see the message.
import { expect, test } from '@playwright/test';
import { newRoom, signUp } from './server';

test.use({ javaScriptEnabled: false });

test('posting works with JavaScript disabled', async ({ page, request }) => {
  const slug = await newRoom(request);
  const me = await signUp(page.context().request);
  await page.goto(`/rooms/${slug}`);
  await page.getByRole('textbox', { name: 'Message' }).fill('plain old form post');
  await page.getByRole('button', { name: 'Send' }).click();

  // Back on the room (server functions leave an empty query behind).
  await expect(page).toHaveURL(new RegExp(`/rooms/${slug}\\??$`));
  const messages = page.getByRole('list', { name: 'Messages' });
  await expect(messages.getByText('plain old form post')).toBeVisible();
  await expect(page.getByText(`Posting as ${me}`)).toBeVisible();

  await page.getByRole('textbox', { name: 'Message' }).fill('   ');
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page.locator('.composer').getByRole('alert')).toHaveText('the message is empty');
  await expect(messages.getByRole('listitem')).toHaveCount(1);
});

test('a room can be created with JavaScript disabled', async ({ page }) => {
  const slug = `nojs-${Date.now().toString(36)}`;
  await signUp(page.context().request);
  await page.goto('/');
  await page.getByLabel('Title').fill('No script room');
  await page.getByLabel('Address').fill(slug);
  await page.getByRole('button', { name: 'Create room' }).click();
  await expect(page).toHaveURL(new RegExp(`/rooms/${slug}$`));
  await expect(page.getByRole('heading', { name: 'No script room' })).toBeVisible();
});
