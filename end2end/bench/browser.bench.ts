// What Murmur costs as browsers see it: post-to-visible latency between two Chromium
// contexts, and the HTTP requests and database queries one post triggers when N browsers
// show the room. Prints rows for the table in docs/performance.md. `MURMUR_BENCH_QUICK=1`
// runs a few.
import { type Browser, type Page, expect, test } from '@playwright/test';
import { OwnServer, Script, expectLive, signUp } from '../tests/server';

const quick = process.env.MURMUR_BENCH_QUICK === '1';
const POSTS = quick ? 5 : 100;
const AUDIENCES = quick ? [1, 3] : [1, 10, 50];

let server: OwnServer;
let script: Script;

test.beforeAll(async () => {
  server = new OwnServer(3100);
  await server.start();
  script = await Script.signUp(server.url);
});

test.afterAll(async () => {
  await server?.stop();
});

async function createRoom(slug: string) {
  const response = await script.post('/api/rooms', { slug, title: slug });
  expect(response.status).toBe(201);
}

/** A new browser showing room `slug`; signed in (to post) when `signedIn`. */
async function openRoom(browser: Browser, slug: string, signedIn = false): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  if (signedIn) await signUp(page.context().request, server.url);
  await page.goto(`${server.url}/rooms/${slug}`);
  await expectLive(page);
  return page;
}

/** Resolves in the page, with the page's clock, once a message with `text` is shown. */
async function watchFor(page: Page, text: string) {
  await page.evaluate((text) => {
    const list = document.querySelector('[aria-label="Messages"]')!;
    (window as any).seenAt = new Promise<number>((resolve) => {
      const observer = new MutationObserver(() => {
        const bodies = list.querySelectorAll('.body');
        if ([...bodies].some((body) => body.textContent === text)) {
          observer.disconnect();
          resolve(performance.timeOrigin + performance.now());
        }
      });
      observer.observe(list, { childList: true, subtree: true, characterData: true });
    });
  }, text);
}

/** When the page showed the message `watchFor` waits for; fails after 30 s without it. */
async function seenAt(page: Page): Promise<number> {
  return page.evaluate(() =>
    Promise.race([
      (window as any).seenAt as Promise<number>,
      new Promise<number>((_, reject) =>
        setTimeout(() => reject(new Error('the message was not shown within 30 s')), 30_000),
      ),
    ]),
  );
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

test('post-to-visible latency between two browsers', async ({ browser }) => {
  await createRoom('visible');
  const poster = await openRoom(browser, 'visible', true);
  const viewer = await openRoom(browser, 'visible');
  const composer = poster.getByRole('textbox', { name: 'Message' });

  const latencies: number[] = [];
  for (let n = 0; n < POSTS; n++) {
    const text = `visible ${n}`;
    await watchFor(viewer, text);
    await composer.fill(text);
    // Timed from the moment Enter is handled in the poster's page.
    const sentAt = await poster.evaluate(() => {
      const textarea = document.querySelector('textarea')!;
      const at = performance.timeOrigin + performance.now();
      textarea.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
      return at;
    });
    latencies.push((await seenAt(viewer)) - sentAt);
    await expect(composer).toHaveValue('');
  }
  latencies.sort((a, b) => a - b);
  const ms = (value: number) => value.toFixed(1);
  console.log(
    `| post-to-visible in Chromium, ${POSTS} posts: p50 / p99 / max | ` +
      `${ms(percentile(latencies, 50))} / ${ms(percentile(latencies, 99))} / ${ms(latencies[latencies.length - 1])} ms |`,
  );
});

/** `[requests, queries]` from /metrics; the read itself counts as one request. */
async function counters(): Promise<[number, number]> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const value = (name: string) => Number(text.match(new RegExp(`^${name} (\\d+)$`, 'm'))![1]);
  return [value('murmur_http_requests_total'), value('murmur_db_queries_total')];
}

test('what one post costs with N browsers showing the room', async ({ browser }) => {
  await createRoom('audience');
  const viewers: Page[] = [];
  for (const audience of AUDIENCES) {
    while (viewers.length < audience) viewers.push(await openRoom(browser, 'audience'));
    const text = `for ${audience}`;
    await Promise.all(viewers.map((viewer) => watchFor(viewer, text)));
    const [requests, queries] = await counters();
    const posted = await script.post('/api/rooms/audience/messages', { body: text });
    expect(posted.status).toBe(201);
    await Promise.all(viewers.map(seenAt));
    // A measurement window, not synchronisation: whatever the pages fetch in reaction to
    // the event (nothing, when they apply its payload) has a second to reach the server.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const [requestsAfter, queriesAfter] = await counters();
    console.log(
      `| one post, ${audience} browser${audience > 1 ? 's' : ''} showing the room | ` +
        `${requestsAfter - requests - 1} HTTP requests, ${queriesAfter - queries} database queries |`,
    );
  }
  // Fifty open browsers would weigh on the measurements after this one.
  await Promise.all(viewers.map((viewer) => viewer.context().close()));
});

test('what a mention costs, beside the same post without one', async ({ browser }) => {
  await createRoom('mentions');
  const page = await (await browser.newContext()).newPage();
  const username = await signUp(page.context().request, server.url);
  await page.goto(`${server.url}/rooms/mentions`);
  await expectLive(page);
  for (const [label, text] of [
    ['no mention', 'plain words'],
    ['a mention of the reader', `@${username} look`],
  ]) {
    await watchFor(page, text);
    const [requests, queries] = await counters();
    const posted = await script.post('/api/rooms/mentions/messages', { body: text });
    expect(posted.status).toBe(201);
    await seenAt(page);
    // A measurement window, as above: the reader's bell re-reads its list on the mention.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const [requestsAfter, queriesAfter] = await counters();
    console.log(
      `| one post with ${label}, 1 signed-in browser showing the room | ` +
        `${requestsAfter - requests - 1} HTTP requests, ${queriesAfter - queries} database queries |`,
    );
  }
});

test('post-to-visible in the tab that holds the stream and in a tab that follows it', async ({ browser }) => {
  await createRoom('tabs');
  const context = await browser.newContext();
  const openTab = async () => {
    const page = await context.newPage();
    await page.goto(`${server.url}/rooms/tabs`);
    await expectLive(page);
    return page;
  };
  // The first tab of a browser takes the lock and holds the stream.
  const leader = await openTab();
  const follower = await openTab();
  const latencies: Record<'leader' | 'follower', number[]> = { leader: [], follower: [] };
  for (let n = 0; n < POSTS; n++) {
    const text = `tabs ${n}`;
    await Promise.all([watchFor(leader, text), watchFor(follower, text)]);
    const sentAt = Date.now();
    const posted = await script.post('/api/rooms/tabs/messages', { body: text });
    expect(posted.status).toBe(201);
    latencies.leader.push((await seenAt(leader)) - sentAt);
    latencies.follower.push((await seenAt(follower)) - sentAt);
  }
  const ms = (value: number) => value.toFixed(1);
  for (const [tab, values] of Object.entries(latencies)) {
    values.sort((a, b) => a - b);
    console.log(
      `| API post to visible, ${POSTS} posts, ${tab} tab: p50 / p99 | ` +
        `${ms(percentile(values, 50))} / ${ms(percentile(values, 99))} ms |`,
    );
  }

  // Hand-over: the leader closes, and a post right after it reaches the follower once
  // another tab leads.
  const text = 'after the leader closed';
  await watchFor(follower, text);
  await leader.close();
  const sentAt = Date.now();
  expect((await script.post('/api/rooms/tabs/messages', { body: text })).status).toBe(201);
  console.log(`| a post right after the leader tab closed, visible in the follower after | ${ms((await seenAt(follower)) - sentAt)} ms |`);
  await context.close();
});
