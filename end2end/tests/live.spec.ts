// Live behaviour between two browsers, the directory, validation, and the indicator.
import { expect, test } from '@playwright/test';
import { OwnServer, Script, expectLive, newRoom, signUp } from './server';

test('a message posted in one browser appears in the other without reload', async ({ browser, request }) => {
  const slug = await newRoom(request);
  const alice = await (await browser.newContext()).newPage();
  const bob = await (await browser.newContext()).newPage();
  const aliceName = await signUp(alice.context().request);
  await signUp(bob.context().request);
  await alice.goto(`/rooms/${slug}`);
  await bob.goto(`/rooms/${slug}`);
  await expectLive(alice);
  await expectLive(bob);
  await bob.evaluate(() => ((window as any).sameDocument = true));

  const composer = alice.getByRole('textbox', { name: 'Message' });
  await composer.fill('Hello Bob,\nsecond line <b>not bold</b>');
  await composer.press('Enter');

  const messages = bob.getByRole('list', { name: 'Messages' });
  await expect(messages.getByText('Hello Bob,')).toBeVisible();
  await expect(messages.getByRole('listitem')).toHaveCount(1);
  await expect(messages.locator('.body')).toHaveText('Hello Bob,\nsecond line <b>not bold</b>');
  await expect(messages.getByText(aliceName)).toBeVisible();
  expect(await bob.evaluate(() => (window as any).sameDocument)).toBe(true);

  await expect(composer).toHaveValue('');
  await expect(composer).toBeFocused();
  await expect(alice.getByText(`Posting as ${aliceName}`)).toBeVisible();

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
  const refetches: string[] = [];
  page.on('request', (r) => {
    if (r.method() === 'GET' && new URL(r.url()).pathname === '/api/rooms') refetches.push(r.url());
  });

  for (const body of ['one', 'two']) {
    const posted = await request.post(`/api/rooms/${busy}/messages`, { data: { body } });
    expect(posted.status()).toBe(201);
  }
  await expect(busyRow).toContainText('2 messages');
  // A fetch either event caused would be on its way before the page shows the next one
  // (events are handled in order): one more, and then none may have come.
  await request.post(`/api/rooms/${busy}/messages`, { data: { body: 'three' } });
  await expect(busyRow).toContainText('3 messages');
  const order = await rooms.locator('.room-slug').allTextContents();
  expect(order.indexOf(`#${busy}`)).toBeLessThan(order.indexOf(`#${quiet}`));
  expect(refetches, 'the summaries in the events are enough').toEqual([]);
});

test('a room page keeps its sidebar counts live over the same connection', async ({ page, request }) => {
  const here = await newRoom(request);
  const elsewhere = await newRoom(request);
  await page.goto(`/rooms/${here}`);
  await expectLive(page);
  await request.post(`/api/rooms/${elsewhere}/messages`, { data: { body: 'psst' } });
  const row = page.getByRole('list', { name: 'Rooms' }).getByRole('listitem').filter({ hasText: `#${elsewhere}` });
  await expect(row).toContainText('1 message');
});

test('validation errors show next to the composer and keep the typed text', async ({ page, request }) => {
  const slug = await newRoom(request);
  await signUp(page.context().request);
  await page.goto(`/rooms/${slug}`);
  await expectLive(page);
  const composer = page.getByRole('textbox', { name: 'Message' });
  const error = page.locator('.composer').getByRole('alert');

  const tooLong = 'x'.repeat(4_001);
  await composer.fill(tooLong);
  await composer.press('Enter');
  await expect(error).toHaveText('the message is 4001 characters long; the limit is 4000');
  await expect(composer).toHaveValue(tooLong);

  await composer.fill('   ');
  await composer.press('Enter');
  await expect(error).toHaveText('the message is empty');
  await expect(composer).toHaveValue('   ');

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
    const ops = await Script.signUp(server.url);
    const posted = await ops.post('/api/rooms/lobby/messages', { body: 'back online' });
    expect(posted.status).toBe(201);
    await expect(page.getByRole('list', { name: 'Messages' }).getByText('back online')).toBeVisible();
  } finally {
    await server.stop();
  }
});

test('a room shows its latest 50 messages and loads older ones on demand', async ({ page, request }) => {
  const slug = await newRoom(request);
  for (let n = 1; n <= 55; n++) {
    const posted = await request.post(`/api/rooms/${slug}/messages`, { data: { body: `number ${n}` } });
    expect(posted.status()).toBe(201);
  }
  await page.goto(`/rooms/${slug}`);
  await expectLive(page);
  const items = page.getByRole('list', { name: 'Messages' }).getByRole('listitem');
  await expect(items).toHaveCount(50);
  await expect(items.first()).toHaveText(/number 6$/);
  await expect(items.last()).toHaveText(/number 55$/);

  await page.getByRole('button', { name: 'Load older messages' }).click();
  await expect(items).toHaveCount(55);
  await expect(items.first()).toHaveText(/number 1$/);
  await expect(page.getByRole('button', { name: 'Load older messages' })).toHaveCount(0);
  await expect(items.first().locator('time')).toHaveAttribute('title', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
});

test('creating a room takes you there and shows it to everyone on the directory', async ({ browser, request }) => {
  const watcher = await (await browser.newContext()).newPage();
  const creator = await (await browser.newContext()).newPage();
  await signUp(watcher.context().request);
  await signUp(creator.context().request);
  await watcher.goto('/');
  await creator.goto('/');
  await expectLive(watcher);
  await expectLive(creator);

  const slug = `made-${Date.now().toString(36)}`;
  await creator.getByLabel('Title').fill('Made in the browser');
  await creator.getByLabel('Address').fill(slug);
  await creator.getByRole('button', { name: 'Create room' }).click();
  await expect(creator).toHaveURL(new RegExp(`/rooms/${slug}$`));
  await expect(creator.getByRole('heading', { name: 'Made in the browser' })).toBeVisible();
  await expect(watcher.getByRole('list', { name: 'Rooms' })).toContainText(`#${slug}`);

  await watcher.getByLabel('Title').fill('Same address');
  await watcher.getByLabel('Address').fill(slug);
  await watcher.getByRole('button', { name: 'Create room' }).click();
  await expect(watcher.locator('.new-room').getByRole('alert')).toHaveText(`the room “${slug}” already exists`);
  await expect(watcher).toHaveURL(/\/$/);
});

test('switching rooms from the sidebar follows the new room live', async ({ page, request }) => {
  const first = await newRoom(request);
  const second = await newRoom(request);
  await page.goto(`/rooms/${first}`);
  await expectLive(page);
  await page.getByRole('list', { name: 'Rooms' }).getByRole('link').filter({ hasText: `#${second}` }).click();
  await expect(page).toHaveURL(new RegExp(`/rooms/${second}$`));
  await expect(page.getByRole('heading', { name: `Test ${second}` })).toBeVisible();
  await expectLive(page);

  await request.post(`/api/rooms/${second}/messages`, { data: { body: 'you followed me' } });
  await expect(page.getByRole('list', { name: 'Messages' }).getByText('you followed me')).toBeVisible();
});

test('a focused room link keeps its room when a post reorders the list', async ({ page, request }) => {
  const older = await newRoom(request);
  const newer = await newRoom(request);
  await page.goto('/');
  await expectLive(page);
  const rooms = page.getByRole('list', { name: 'Rooms' });
  await rooms.getByRole('link').filter({ hasText: `#${newer}` }).focus();

  // A post moves the older room above the newer one.
  const posted = await request.post(`/api/rooms/${older}/messages`, { data: { body: 'up you go' } });
  expect(posted.status()).toBe(201);
  await expect(rooms.getByRole('link').filter({ hasText: `#${older}` })).toContainText('1 message');

  expect(await page.evaluate(() => document.activeElement?.getAttribute('href'))).toBe(`/rooms/${newer}`);
});

test('every page hydrates without an error in the browser', async ({ page, request }) => {
  // A panic in one island stops the ones after it from hydrating, while the indicator may
  // still say live: the page then looks fine and silently stops updating.
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  const slug = await newRoom(request);
  await signUp(page.context().request);
  for (const path of ['/', `/rooms/${slug}`]) {
    await page.goto(path);
    await expectLive(page);
  }
  // The last island on the room page is the composer: it answers once hydrated.
  await page.getByRole('textbox', { name: 'Message' }).fill('hydrated');
  await page.getByRole('textbox', { name: 'Message' }).press('Enter');
  await expect(page.getByRole('list', { name: 'Messages' }).getByText('hydrated')).toBeVisible();
  expect(errors).toEqual([]);
});
