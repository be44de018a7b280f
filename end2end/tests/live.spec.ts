// Live behaviour between two browsers, the directory, validation, and the indicator.
import { expect, test } from '@playwright/test';
import { OwnServer, expectLive, newRoom } from './server';

test('a message posted in one browser appears in the other without reload', async ({ browser, request }) => {
  const slug = await newRoom(request);
  const alice = await (await browser.newContext()).newPage();
  const bob = await (await browser.newContext()).newPage();
  await alice.goto(`/rooms/${slug}`);
  await bob.goto(`/rooms/${slug}`);
  await expectLive(alice);
  await expectLive(bob);
  await bob.evaluate(() => ((window as any).sameDocument = true));

  await alice.getByLabel('Your name').fill('Alice');
  const composer = alice.getByRole('textbox', { name: 'Message' });
  await composer.fill('Hello Bob,\nsecond line <b>not bold</b>');
  await composer.press('Enter');

  const messages = bob.getByRole('list', { name: 'Messages' });
  await expect(messages.getByText('Hello Bob,')).toBeVisible();
  await expect(messages.getByRole('listitem')).toHaveCount(1);
  await expect(messages.locator('.body')).toHaveText('Hello Bob,\nsecond line <b>not bold</b>');
  await expect(messages.getByText('Alice')).toBeVisible();
  expect(await bob.evaluate(() => (window as any).sameDocument)).toBe(true);

  await expect(composer).toHaveValue('');
  await expect(composer).toBeFocused();
  await expect(alice.getByText('Posting as Alice')).toBeVisible();

  await bob.getByLabel('Your name').fill('Bob');
  await bob.getByRole('textbox', { name: 'Message' }).fill('Hi Alice');
  await bob.getByRole('button', { name: 'Send' }).click();
  await expect(alice.getByRole('list', { name: 'Messages' }).getByText('Hi Alice')).toBeVisible();
  await expect(alice.getByRole('list', { name: 'Messages' }).getByRole('listitem')).toHaveCount(2);
});

test('directory counts and order update live when anyone posts', async ({ page, request }) => {
  const quiet = await newRoom(request);
  const busy = await newRoom(request);
  await page.goto('/');
  await expectLive(page);
  const rooms = page.getByRole('list', { name: 'Rooms' });
  const busyRow = rooms.getByRole('listitem').filter({ hasText: `#${busy}` });
  await expect(busyRow).toContainText('0 messages');

  for (const body of ['one', 'two']) {
    const posted = await request.post(`/api/rooms/${busy}/messages`, { data: { author: 'Script', body } });
    expect(posted.status()).toBe(201);
  }
  await expect(busyRow).toContainText('2 messages');
  const order = await rooms.locator('.room-slug').allTextContents();
  expect(order.indexOf(`#${busy}`)).toBeLessThan(order.indexOf(`#${quiet}`));
});

test('a room page keeps its sidebar counts live over the same connection', async ({ page, request }) => {
  const here = await newRoom(request);
  const elsewhere = await newRoom(request);
  await page.goto(`/rooms/${here}`);
  await expectLive(page);
  await request.post(`/api/rooms/${elsewhere}/messages`, { data: { author: 'Script', body: 'psst' } });
  const row = page.getByRole('list', { name: 'Rooms' }).getByRole('listitem').filter({ hasText: `#${elsewhere}` });
  await expect(row).toContainText('1 message');
});

test('validation errors show next to the composer and keep the typed text', async ({ page, request }) => {
  const slug = await newRoom(request);
  await page.goto(`/rooms/${slug}`);
  await expectLive(page);
  const composer = page.getByRole('textbox', { name: 'Message' });
  const error = page.locator('.composer').getByRole('alert');

  await page.getByLabel('Your name').fill('Ada');
  const tooLong = 'x'.repeat(4_001);
  await composer.fill(tooLong);
  await composer.press('Enter');
  await expect(error).toHaveText('the message is 4001 characters long; the limit is 4000');
  await expect(composer).toHaveValue(tooLong);

  await composer.fill('   ');
  await composer.press('Enter');
  await expect(error).toHaveText('the message is empty');
  await expect(composer).toHaveValue('   ');

  await page.getByLabel('Your name').fill('');
  await composer.fill('no name');
  await composer.press('Enter');
  await expect(error).toHaveText('your name must be 1–32 characters');
  await expect(composer).toHaveValue('no name');

  const stored = await (await request.get(`/api/rooms/${slug}/messages`)).json();
  expect(stored).toEqual([]);
});

test('the indicator shows reconnecting when the server goes away and live when it returns', async ({ page }) => {
  const server = new OwnServer(3000 + 100 + test.info().workerIndex);
  await server.start();
  try {
    await page.goto(`${server.url}/rooms/lobby`);
    await expectLive(page);

    await server.stop();
    await expect(page.getByRole('status')).toHaveText('reconnecting');

    await server.start();
    await expectLive(page);
    const posted = await fetch(`${server.url}/api/rooms/lobby/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ author: 'Ops', body: 'back online' }),
    });
    expect(posted.status).toBe(201);
    await expect(page.getByRole('list', { name: 'Messages' }).getByText('back online')).toBeVisible();
  } finally {
    await server.stop();
  }
});
