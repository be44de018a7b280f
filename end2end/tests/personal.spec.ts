// Personal live events: a mention reaches every tab of the person mentioned and nobody else,
// and reading it in one tab clears it in the others.
import { type Page, expect, test } from '@playwright/test';
import { expectLive, newRoom, signUp } from './server';

/** The top bar's bell, by its label: "Notifications, N unread". */
function bell(page: Page) {
  return page.getByLabel(/^Notifications, \d+ unread$/);
}

test('a mention shows in both of its target’s tabs, not to others, and reading it clears both', async ({ browser }) => {
  const [alice, bob, reader] = await Promise.all([1, 2, 3].map(() => browser.newContext()));
  const aliceName = await signUp(alice.request);
  await signUp(bob.request);
  const slug = await newRoom(bob.request);
  const [tab1, tab2, bobPage, readerPage] = await Promise.all([
    alice.newPage(), alice.newPage(), bob.newPage(), reader.newPage(),
  ]);
  await tab1.goto('/');
  await tab2.goto(`/rooms/lobby`);
  await bobPage.goto(`/rooms/${slug}`);
  await readerPage.goto(`/rooms/${slug}`);
  for (const page of [tab1, tab2, bobPage, readerPage]) await expectLive(page);
  for (const page of [tab1, tab2]) await expect(bell(page)).toHaveAttribute('aria-label', 'Notifications, 0 unread');

  const composer = bobPage.getByRole('textbox', { name: 'Message' });
  await composer.fill(`hey @${aliceName}, look`);
  await composer.press('Enter');
  for (const page of [tab1, tab2]) await expect(bell(page)).toHaveAttribute('aria-label', 'Notifications, 1 unread');
  await expect(bell(bobPage)).toHaveAttribute('aria-label', 'Notifications, 0 unread');
  await expect(bell(readerPage)).toHaveCount(0);

  await bell(tab1).click();
  const list = tab1.getByRole('list', { name: 'Notifications' });
  await expect(list.getByRole('link')).toContainText(`hey @${aliceName}, look`);
  await expect(list.getByRole('link')).toHaveAttribute('href', new RegExp(`^/rooms/${slug}#m\\d+$`));
  for (const page of [tab1, tab2]) await expect(bell(page)).toHaveAttribute('aria-label', 'Notifications, 0 unread');
});
