// Several instances: browsers on different instances behind nginx, one PostgreSQL database.
import { type Browser, type Page, expect, test } from '@playwright/test';
import { Cluster } from './cluster';
import { expectLive, newRoom, signUp } from './server';

let cluster: Cluster;

test.beforeAll(async () => {
  cluster = new Cluster(3300 + 20 * test.info().workerIndex);
  await cluster.start();
});

test.afterAll(async () => {
  await cluster?.stop();
});

/** A signed-in browser at `/rooms/<slug>` through `url`, live; checks which instance served
 * its page and its stream (`upstream`), when given. */
async function reader(browser: Browser, url: string, slug: string, upstream?: string): Promise<Page> {
  const page = await (await browser.newContext({ baseURL: url })).newPage();
  await signUp(page.context().request);
  const streams: string[] = [];
  page.on('response', (response) => {
    if (new URL(response.url()).pathname === '/live') streams.push(response.headers()['x-upstream']);
  });
  const response = await page.goto(`/rooms/${slug}`);
  await expectLive(page);
  if (upstream) {
    expect(response?.headers()['x-upstream']).toBe(upstream);
    await expect.poll(() => streams).toEqual([upstream]);
  }
  return page;
}

async function send(page: Page, body: string) {
  const composer = page.getByRole('textbox', { name: 'Message' });
  await composer.fill(body);
  await composer.press('Enter');
  await expect(composer).toHaveValue('');
}

test('browsers pinned to different instances behind nginx see each other live', async ({ browser, playwright }) => {
  const [first, second] = cluster.instances.map((instance) => `127.0.0.1:${instance.port}`);
  const request = await playwright.request.newContext({ baseURL: cluster.url });
  const slug = await newRoom(request);
  const alice = await reader(browser, cluster.pinned[0], slug, first);
  const bob = await reader(browser, cluster.pinned[1], slug, second);
  // A third through the balanced port, as deployed: whichever instance it lands on.
  const carol = await reader(browser, cluster.url, slug);
  await bob.evaluate(() => ((window as any).sameDocument = true));

  await send(alice, 'from the first instance');
  await expect(bob.getByRole('list', { name: 'Messages' }).getByText('from the first instance')).toBeVisible();
  await send(bob, 'from the second instance');
  await expect(alice.getByRole('list', { name: 'Messages' }).getByText('from the second instance')).toBeVisible();

  for (const page of [alice, bob, carol]) {
    const messages = page.getByRole('list', { name: 'Messages' }).locator('.body');
    await expect(messages).toHaveText(['from the first instance', 'from the second instance']);
  }
  expect(await bob.evaluate(() => (window as any).sameDocument)).toBe(true);
});
