// Personal live events: a mention reaches every tab of the person mentioned and nobody else,
// and reading it in one tab clears it in the others.
import { readFileSync } from 'node:fs';
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

test('unread counts follow a reader across tabs, and a room opens with a "new" divider', async ({ browser }) => {
  const [alice, bob] = await Promise.all([1, 2].map(() => browser.newContext()));
  await signUp(alice.request);
  await signUp(bob.request);
  const slug = await newRoom(bob.request);
  const post = async (body: string) =>
    expect((await bob.request.post(`/api/rooms/${slug}/messages`, { data: { body } })).status()).toBe(201);
  await post('before alice looked');
  const [directory, room] = await Promise.all([alice.newPage(), alice.newPage()]);
  await room.goto(`/rooms/${slug}`);
  await expectLive(room);
  await directory.goto('/');
  await expectLive(directory);
  const link = directory.getByRole('list', { name: 'Rooms' }).getByRole('listitem').filter({ hasText: slug });
  await expect(link.getByTitle('Unread messages')).toHaveCount(0);

  // Alice's room tab is in the background: what arrives there is not read yet.
  await room.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
  });
  await post('one');
  await post('two');
  await expect(link.getByTitle('Unread messages')).toHaveText('2');

  await room.reload();
  await expect(room.getByRole('separator', { name: 'New messages' })).toBeVisible();
  const messages = room.getByRole('list', { name: 'Messages' }).getByRole('listitem');
  await expect(messages.filter({ has: room.getByRole('separator') })).toContainText('one');
  await expect(link.getByTitle('Unread messages')).toHaveCount(0);
});

test('typing shows to the others in the room, not to the typist, and ends when the message arrives', async ({ browser }) => {
  const [alice, bob] = await Promise.all([1, 2].map(() => browser.newContext()));
  const aliceName = await signUp(alice.request);
  await signUp(bob.request);
  const slug = await newRoom(bob.request);
  const [alicePage, bobPage] = await Promise.all([alice.newPage(), bob.newPage()]);
  for (const page of [alicePage, bobPage]) {
    await page.goto(`/rooms/${slug}`);
    await expectLive(page);
  }
  const composer = alicePage.getByRole('textbox', { name: 'Message' });
  await composer.pressSequentially('hello th');
  await expect(bobPage.getByText(`${aliceName} is typing…`)).toBeVisible();
  await expect(alicePage.getByText(/is typing…/)).toHaveCount(0);
  await composer.pressSequentially('ere');
  await composer.press('Enter');
  await expect(bobPage.getByRole('list', { name: 'Messages' })).toContainText('hello there');
  await expect(bobPage.getByText(`${aliceName} is typing…`)).toHaveCount(0);
});

test('presence shows each person once, a signed-out reader as a count, and the room list how many are in', async ({ browser }) => {
  const [alice, bob, reader] = await Promise.all([1, 2, 3].map(() => browser.newContext()));
  const aliceName = await signUp(alice.request);
  const bobName = await signUp(bob.request);
  const slug = await newRoom(bob.request);
  const [tab1, tab2, bobPage, readerPage] = await Promise.all([
    alice.newPage(), alice.newPage(), bob.newPage(), reader.newPage(),
  ]);
  for (const page of [tab1, tab2, bobPage, readerPage]) {
    await page.goto(`/rooms/${slug}`);
    await expectLive(page);
  }
  const here = bobPage.getByLabel('Here now');
  // Names in order, alice once for her two tabs; the signed-out reader as a count.
  const names = [aliceName, bobName].sort();
  await expect(here).toHaveText(`Here: ${names[0]}, ${names[1]} and 1 signed out`);
  await expect(tab1.getByLabel('Here now')).toHaveText(`Here: ${names[0]}, ${names[1]} and 1 signed out`);
  await bobPage.goto('/');
  const link = bobPage.getByRole('list', { name: 'Rooms' }).getByRole('listitem').filter({ hasText: slug });
  await expect(link.getByTitle('Reading it now')).toHaveText('3 here');
});

test('an export shows its progress to its requester alone, then a link to a file that matches the room', async ({ browser }) => {
  const [alice, bob] = await Promise.all([1, 2].map(() => browser.newContext()));
  await signUp(alice.request);
  await signUp(bob.request);
  const slug = await newRoom(alice.request);
  for (const body of ['one', 'two, "quoted"', 'three\nlines ☃']) {
    expect((await alice.request.post(`/api/rooms/${slug}/messages`, { data: { body } })).status()).toBe(201);
  }
  const [tab1, tab2, bobPage] = await Promise.all([alice.newPage(), alice.newPage(), bob.newPage()]);
  await tab1.goto(`/rooms/${slug}`);
  await tab2.goto('/');
  await bobPage.goto(`/rooms/${slug}`);
  for (const page of [tab1, tab2, bobPage]) await expectLive(page);
  // The other tab records whether a progress bar ever showed: it may show only briefly.
  await tab2.evaluate(() => {
    const list = document.querySelector('[aria-label="Exports"]')!;
    new MutationObserver(() => {
      if (list.querySelector('progress')) (window as any).sawProgress = true;
    }).observe(list, { childList: true, subtree: true });
  });

  await tab1.getByLabel('Export format').selectOption('jsonl');
  await tab1.getByRole('button', { name: 'Export history' }).click();
  const ready = `Your export of #${slug} is ready`;
  await expect(tab2.getByRole('list', { name: 'Exports' })).toContainText(ready);
  expect(await tab2.evaluate(() => (window as any).sawProgress)).toBe(true);
  await expect(tab1.getByRole('list', { name: 'Exports' })).toContainText(ready);
  await expect(bobPage.getByText(/Your export/)).toHaveCount(0);

  const [download] = await Promise.all([
    tab2.waitForEvent('download'),
    tab2.getByRole('link', { name: 'download' }).click(),
  ]);
  const lines = readFileSync(await download.path(), 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line));
  const messages = await (await alice.request.get(`/api/rooms/${slug}/messages`)).json();
  expect(lines).toEqual(messages);
});
