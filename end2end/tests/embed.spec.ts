// A comment thread under an article on another site: the article is served on another
// origin and another site (localhost, while Murmur is 127.0.0.1), with the two-line snippet.
import { type Frame, type Page, expect, test } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { signUp, unique } from './server';

/** MURMUR_EMBED_ORIGINS lists this one (scripts/test.sh); the other origin is not listed. */
const ALLOWED_PORT = 4173;
const OTHER_PORT = 4174;

function article(murmur: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Hello, comments</title></head>
<body><main><h1>Hello, comments</h1><p>An article worth talking about.</p>
<div data-murmur-thread></div>
<script async src="${murmur}/embed.js"></script></main></body></html>`;
}

/** A static site on localhost:`port` whose every page is the article. */
async function site(port: number, murmur: string): Promise<Server> {
  const server = createServer((_, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(article(murmur));
  });
  await new Promise<void>((resolve) => server.listen(port, 'localhost', resolve));
  return server;
}

/** The frame Murmur's thread is in, once it has loaded. */
async function thread(page: Page): Promise<Frame> {
  const element = await page.waitForSelector('iframe[title="Comments"]');
  const frame = await element.contentFrame();
  if (!frame) throw new Error('no frame');
  await frame.waitForLoadState();
  return frame;
}

let allowed: Server;
let other: Server;

test.beforeAll(async ({ baseURL }) => {
  allowed = await site(ALLOWED_PORT, baseURL!);
  other = await site(OTHER_PORT, baseURL!);
});

test.afterAll(async () => {
  allowed.close();
  other.close();
});

test('comments under an article on another site appear live, edited and deleted', async ({ browser, request }) => {
  const path = `/posts/${unique('post')}`;
  const url = `http://localhost:${ALLOWED_PORT}${path}`;
  const reader = await browser.newContext();
  const page = await reader.newPage();
  await page.goto(`${url}?utm_source=test#top`);
  const frame = await thread(page);
  await expect(frame.getByRole('heading', { name: '0 comments' })).toBeVisible();
  await expect(frame.getByText('No comments yet.')).toBeVisible();

  // Someone comments first, through the API: the reader's frame finds the new thread.
  await signUp(request);
  const made = await request.post('/api/threads', { data: { url, title: 'Hello, comments' } });
  expect(made.status()).toBe(201);
  const { room } = await made.json();
  const posted = await request.post(`/api/rooms/${room}/messages`, { data: { body: 'First!' } });
  expect(posted.status()).toBe(201);
  const live = await thread(page);
  await expect(live.getByText('First!')).toBeVisible();
  await expect(live.getByRole('heading', { name: '1 comment' })).toBeVisible();

  // Then everything reaches the frame live: a second comment, an edit, a deletion.
  const second = await request.post(`/api/rooms/${room}/messages`, { data: { body: 'Second, and longer' } });
  const { id } = await second.json();
  await expect(live.getByText('Second, and longer')).toBeVisible();
  await expect(live.getByRole('heading', { name: '2 comments' })).toBeVisible();
  await request.patch(`/api/rooms/${room}/messages/${id}`, { data: { body: 'Second, edited' } });
  await expect(live.getByText('Second, edited')).toBeVisible();
  const first = (await (await request.get(`/api/rooms/${room}/messages`)).json())[0].id;
  expect((await request.delete(`/api/rooms/${room}/messages/${first}`)).status()).toBe(204);
  await expect(live.getByText('First!')).toHaveCount(0);
  await expect(live.getByRole('heading', { name: '1 comment' })).toBeVisible();

  // The frame grew to its comments: the page was told its height.
  await expect.poll(async () => (await page.locator('iframe').boundingBox())?.height).not.toBe(320);
  await reader.close();
});

test('a site not in the list gets no thread and no CORS answer', async ({ page, baseURL }) => {
  await page.goto(`http://localhost:${OTHER_PORT}/posts/elsewhere`);
  // The browser refuses to show Murmur in the frame (frame-ancestors): an error page.
  const frame = await thread(page);
  expect(frame.url()).toMatch(/^chrome-error:/);
  await expect(frame.getByRole('heading', { name: /comments?$/ })).toHaveCount(0);
  const answer = await page.evaluate(async (murmur) => {
    try {
      await fetch(`${murmur}/api/rooms`);
      return 'read';
    } catch {
      return 'refused';
    }
  }, baseURL!);
  expect(answer).toBe('refused');
});
