// Nothing lost: across blocked streams, server restarts, and the gap between render and
// hydration; and no needless fetches.
import { expect, test } from '@playwright/test';
import { OwnServer, Script, expectLive, newRoom, signUp } from './server';

test('a message posted between server render and hydration is not lost', async ({ page, request }) => {
  const slug = await newRoom(request);
  // The page is rendered; before its WASM arrives, someone posts.
  await page.route('**/pkg/*.wasm', async (route) => {
    const posted = await request.post(`/api/rooms/${slug}/messages`, {
      data: { body: 'posted before hydration' },
    });
    expect(posted.status()).toBe(201);
    await route.continue();
  });
  await page.goto(`/rooms/${slug}`);
  await expectLive(page);
  await expect(page.getByRole('list', { name: 'Messages' }).getByText('posted before hydration')).toBeVisible();
});

test('messages posted while the stream is blocked all appear once it is back', async ({ page, request }) => {
  const slug = await newRoom(request);
  let blocked!: () => void;
  const firstBlocked = new Promise<void>((resolve) => (blocked = resolve));
  await page.route('**/live?*', async (route) => {
    await route.abort();
    blocked();
  });
  await page.goto(`/rooms/${slug}`);
  for (const body of ['first while blocked', 'second while blocked', 'third while blocked']) {
    const posted = await request.post(`/api/rooms/${slug}/messages`, { data: { body } });
    expect(posted.status()).toBe(201);
  }
  // Once the page has tried its stream and been refused it, it is not live.
  await firstBlocked;
  await expect(page.getByRole('status')).not.toHaveText('live');

  await page.unroute('**/live?*');
  await expectLive(page);
  const items = page.getByRole('list', { name: 'Messages' }).getByRole('listitem');
  await expect(items).toHaveCount(3);
  await expect(items.locator('.body')).toHaveText(['first while blocked', 'second while blocked', 'third while blocked']);
});

test('a page that was live catches up after the server restarts behind a blocked stream', async ({ page }) => {
  const server = new OwnServer(3200 + test.info().workerIndex);
  await server.start();
  try {
    await page.goto(`${server.url}/rooms/lobby`);
    await expectLive(page);
    await page.route('**/live?*', (route) => route.abort());
    await server.stop();
    await server.start();
    const ops = await Script.signUp(server.url);
    for (const body of ['missed one', 'missed two']) {
      const posted = await ops.post('/api/rooms/lobby/messages', { body });
      expect(posted.status).toBe(201);
    }
    await expect(page.getByRole('status')).toHaveText('reconnecting');
    await page.unroute('**/live?*');
    await expectLive(page);
    const items = page.getByRole('list', { name: 'Messages' }).getByRole('listitem');
    await expect(items.locator('.body')).toHaveText(['missed one', 'missed two']);
  } finally {
    await server.stop();
  }
});

test('new messages are shown from the event itself: no fetch, not even of our own', async ({ browser, request }) => {
  const slug = await newRoom(request);
  const poster = await (await browser.newContext()).newPage();
  await signUp(poster.context().request);
  await poster.goto(`/rooms/${slug}`);
  await expectLive(poster);
  const fetches: string[] = [];
  poster.on('request', (r) => {
    if (r.method() === 'GET' && r.url().includes('/messages?')) fetches.push(r.url());
  });

  await poster.getByRole('textbox', { name: 'Message' }).fill('mine');
  await poster.getByRole('textbox', { name: 'Message' }).press('Enter');
  const messages = poster.getByRole('list', { name: 'Messages' });
  await expect(messages.getByText('mine')).toBeVisible();

  // Someone else's message arrives after ours on the same stream.
  await request.post(`/api/rooms/${slug}/messages`, { data: { body: 'theirs' } });
  await expect(messages.getByText('theirs')).toBeVisible();
  // A fetch either event caused would be on its way before the page shows the next one
  // (events are handled in order): one more, and then none may have come.
  await request.post(`/api/rooms/${slug}/messages`, { data: { body: 'last' } });
  await expect(messages.getByRole('listitem')).toHaveCount(3);
  expect(fetches).toEqual([]);
});

test('a stream the browser gives up on (503, wrong content type) is rebuilt with backoff', async ({ page, request }) => {
  const slug = await newRoom(request);
  let refused = 0;
  await page.route('**/live?*', (route) => {
    refused += 1;
    return refused % 2
      ? route.fulfill({ status: 503, body: 'proxy says no' })
      : route.fulfill({ status: 200, contentType: 'text/html', body: '<p>not a stream</p>' });
  });
  await page.goto(`/rooms/${slug}`);
  await expect(page.getByRole('status')).toHaveText('reconnecting');
  await expect.poll(() => refused).toBeGreaterThanOrEqual(3);

  await request.post(`/api/rooms/${slug}/messages`, { data: { body: 'sent during the outage' } });
  await page.unroute('**/live?*');
  await expectLive(page);
  await expect(page.getByRole('list', { name: 'Messages' }).getByText('sent during the outage')).toBeVisible();
});
