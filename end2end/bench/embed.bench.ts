// What a comment thread costs the page it is embedded in: the bytes the browser fetched
// (article, embed.js, the framed page, its CSS, JS and WASM) by the time the comments show,
// and how long that took, on Chrome DevTools' "Fast 4G" profile. Prints a row for the table
// in docs/performance.md.
import { type Browser, chromium, expect, test } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import base from '../playwright.config';
import { OwnServer, Script } from '../tests/server';

const quick = process.env.MURMUR_BENCH_QUICK === '1';
const LOADS = quick ? 2 : 10;
const COMMENTS = 20;
const ARTICLE_PORT = 3121;
const ARTICLE = `http://localhost:${ARTICLE_PORT}/posts/benchmark`;

/** DevTools' "Fast 4G": 9 Mbit/s down, 1.5 Mbit/s up, 60 ms, with DevTools' adjustments. */
const FAST_4G = {
  offline: false,
  downloadThroughput: ((9 * 1000 * 1000) / 8) * 0.9,
  uploadThroughput: ((1.5 * 1000 * 1000) / 8) * 0.9,
  latency: 60 * 2.75,
};

let server: OwnServer;
let article: Server;
let browser: Browser;

test.beforeAll(async () => {
  server = new OwnServer(3120, undefined, { MURMUR_EMBED_ORIGINS: `http://localhost:${ARTICLE_PORT}` });
  await server.start();
  article = createServer((_, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>A benchmark</title></head>
<body><article><h1>A benchmark</h1><p>${'Words worth reading. '.repeat(200)}</p></article>
<div data-murmur-thread></div><script async src="${server.url}/embed.js"></script></body></html>`);
  });
  await new Promise<void>((resolve) => article.listen(ARTICLE_PORT, 'localhost', resolve));
  // The frame in the page's own process, so that the page's throttling covers it too.
  browser = await chromium.launch({
    ...base.use?.launchOptions,
    args: [...(base.use?.launchOptions?.args ?? []), '--disable-features=IsolateOrigins,site-per-process'],
  });
  const script = await Script.signUp(server.url);
  const made = await script.post('/api/threads', { url: ARTICLE, title: 'A benchmark' });
  const { room } = await made.json();
  for (let n = 1; n <= COMMENTS; n++) {
    expect((await script.post(`/api/rooms/${room}/messages`, { body: `Comment ${n}: ${'well said. '.repeat(8)}` })).status).toBe(201);
  }
});

test.afterAll(async () => {
  await browser?.close();
  article?.close();
  await server?.stop();
});

test('what an embedded thread costs its page on Fast 4G', async () => {
  const times: number[] = [];
  const bytes: number[] = [];
  for (let load = 0; load < LOADS; load++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Network.emulateNetworkConditions', FAST_4G);
    let received = 0;
    let shown = false;
    // Every response of the page and its frame, headers and (compressed) body, as it ends.
    page.on('requestfinished', async (request) => {
      const sizes = await request.sizes();
      if (!shown) received += sizes.responseHeadersSize + sizes.responseBodySize;
    });
    const started = Date.now();
    await page.goto(ARTICLE);
    const frame = page.frameLocator('iframe[title="Comments"]');
    await expect(frame.getByText(`Comment ${COMMENTS}:`)).toBeVisible();
    shown = true;
    times.push(Date.now() - started);
    bytes.push(received);
    await context.close();
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  console.log(
    `| an embedded thread of ${COMMENTS} comments under an article, on Fast 4G (median of ${LOADS} cold loads) | ` +
      `comments visible after ${median(times)} ms, ${(median(bytes) / 1024).toFixed(1)} KiB transferred by then | ≤ 1.5 s, ≤ 200 KiB |`,
  );
});
