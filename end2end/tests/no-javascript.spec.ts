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

test('an author edits and deletes a message with JavaScript disabled', async ({ page, request }) => {
  const slug = await newRoom(request);
  await signUp(page.context().request);
  await page.goto(`/rooms/${slug}`);
  await page.getByRole('textbox', { name: 'Message' }).fill('speling mistake');
  await page.getByRole('button', { name: 'Send' }).click();
  const messages = page.getByRole('list', { name: 'Messages' });
  const item = messages.getByRole('listitem').filter({ hasText: 'speling' });

  await item.getByTitle('Message actions').click();
  await item.getByRole('link', { name: 'Edit message' }).click();
  await expect(page).toHaveURL(/\?edit=\d+/);
  const edit = page.getByRole('textbox', { name: 'Edit message' });
  await expect(edit).toHaveValue('speling mistake');
  await edit.fill('   ');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.locator('.composer').getByRole('alert')).toHaveText('the message is empty');
  await edit.fill('spelling mistake');
  await page.getByRole('button', { name: 'Save' }).click();
  const fixed = messages.getByRole('listitem').filter({ hasText: 'spelling mistake' });
  await expect(fixed).toContainText('(edited)');

  await fixed.getByTitle('Message actions').click();
  await fixed.getByRole('button', { name: 'Delete message' }).click();
  await expect(messages.getByText('message deleted')).toBeVisible();
  await expect(messages.getByText('spelling')).toHaveCount(0);
});
