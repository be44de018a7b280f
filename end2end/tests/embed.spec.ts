// A comment thread under an article on another site: the article is served on another
// origin and another site (localhost, while Murmur is 127.0.0.1), with the two-line snippet.
import { type Frame, type Page, expect, test } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { ADMIN, PASSWORD, signUp, unique } from './server';

/** MURMUR_EMBED_ORIGINS lists this one (scripts/test.sh); the other origin is not listed. */
const ALLOWED_PORT = 4173;
const OTHER_PORT = 4174;

/** The article at `page`, with the snippet and, inside it, the link a reader without
 * JavaScript follows instead. */
function article(murmur: string, page: string): string {
  const thread = `${murmur}/embed/thread?url=${encodeURIComponent(page)}`;
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Hello, comments</title></head>
<body><main><h1>Hello, comments</h1><p>An article worth talking about.</p>
<div data-murmur-thread><a href="${thread}">Comments</a></div>
<script async src="${murmur}/embed.js"></script></main></body></html>`;
}

/** A static site on localhost:`port` whose every page is the article. */
async function site(port: number, murmur: string): Promise<Server> {
  const server = createServer((request, response) => {
    const page = `http://localhost:${port}${new URL(request.url!, 'http://localhost').pathname}`;
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(article(murmur, page));
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

/** Waits until the frame is hydrated and its stream is open. */
async function frameLive(frame: Frame) {
  await expect(frame.getByRole('status')).toHaveText('live');
}

/** The comment that shows `text` in `frame`. */
function comment(frame: Frame, text: string | RegExp) {
  return frame.getByRole('list', { name: 'Messages' }).getByRole('listitem').filter({ hasText: text });
}

/** Signs `frame` in (or up, as a new account) with its own form, and waits for it. */
async function signInHere(frame: Frame, username: string, button: 'Sign in' | 'Create an account') {
  await frame.getByLabel('Username').fill(username);
  await frame.getByLabel('Password').fill(PASSWORD);
  await frame.getByRole('button', { name: button }).click();
  await expect(frame.getByText(`Commenting as ${username}`)).toBeVisible();
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

test('readers sign up inside the frame, comment, edit and delete, and a moderator deletes any, with third-party cookies blocked', async ({ browser, request }) => {
  test.setTimeout(120_000);
  const url = `http://localhost:${ALLOWED_PORT}/posts/${unique('signed')}`;
  const [writer, reader, away, moderator] = await Promise.all(
    [1, 2, 3, 4].map(async () => (await browser.newContext()).newPage()),
  );
  await Promise.all([writer, reader].map((page) => page.goto(url)));
  const [writing, reading] = await Promise.all([thread(writer), thread(reader)]);
  // This browser keeps no third-party cookie in the frame: the frame's session does without.
  const kept = await writing.evaluate(() => {
    document.cookie = 'probe=1; SameSite=None; Secure; Path=/';
    return document.cookie.includes('probe=1');
  });
  expect(kept).toBe(false);
  await expect(writing.getByRole('heading', { name: 'Sign in to comment' })).toBeVisible();

  // A new account, made in the frame; its first comment makes the thread, which the
  // reader's frame was waiting for.
  const name = unique('writer');
  await signInHere(writing, name, 'Create an account');
  await writing.getByLabel('Your comment').fill('First, from the frame');
  await writing.getByRole('button', { name: 'Comment' }).click();
  await expect(comment(writing, 'First, from the frame')).toBeVisible();
  await expect(comment(reading, 'First, from the frame')).toBeVisible();
  await expect(reading.getByRole('heading', { name: '1 comment' })).toBeVisible();

  // A third reader goes offline; comments made meanwhile reach it when it is back.
  await away.goto(url);
  const awayFrame = await thread(away);
  await frameLive(awayFrame);
  await away.context().setOffline(true);

  await frameLive(writing);
  const composer = writing.getByRole('textbox', { name: 'Message' });
  await composer.fill('Second, typed live');
  await composer.press('Enter');
  await expect(comment(reading, 'Second, typed live')).toBeVisible();
  await expect(reading.getByRole('heading', { name: '2 comments' })).toBeVisible();
  await away.context().setOffline(false);
  await expect(comment(awayFrame, 'Second, typed live')).toBeVisible();
  await expect(awayFrame.getByRole('heading', { name: '2 comments' })).toBeVisible();

  // Its author edits and deletes it; both reach the others live.
  await comment(writing, 'Second, typed live').getByTitle('Message actions').click();
  await comment(writing, 'Second, typed live').getByRole('link', { name: 'Edit message' }).click();
  const edit = writing.getByRole('textbox', { name: 'Edit message' });
  await edit.fill('Second, edited');
  await edit.press('Enter');
  await expect(comment(reading, 'Second, edited')).toContainText('(edited)');
  await comment(writing, 'Second, edited').getByTitle('Message actions').click();
  await comment(writing, 'Second, edited').getByRole('button', { name: 'Delete message' }).click();
  await expect(comment(reading, 'Second, edited')).toHaveCount(0);
  await expect(reading.getByRole('heading', { name: '1 comment' })).toBeVisible();

  // The moderator deletes someone else's comment.
  const made = await request.post('/api/accounts', { data: { username: ADMIN, password: PASSWORD } });
  expect([201, 409]).toContain(made.status());
  await moderator.goto(url);
  const moderating = await thread(moderator);
  await signInHere(moderating, ADMIN, 'Sign in');
  await frameLive(moderating);
  await comment(moderating, 'First, from the frame').getByTitle('Message actions').click();
  await comment(moderating, 'First, from the frame').getByRole('button', { name: 'Delete message' }).click();
  await expect(comment(reading, 'First, from the frame')).toHaveCount(0);
  await expect(reading.getByRole('heading', { name: '0 comments' })).toBeVisible();

  // Signing out of the frame leaves it signed out.
  await writing.getByRole('button', { name: 'Sign out' }).click();
  await expect(writing.getByRole('heading', { name: 'Sign in to comment' })).toBeVisible();
  await Promise.all([writer, reader, away, moderator].map((page) => page.context().close()));
});

test('without JavaScript the article links to its thread, which shows the comments', async ({ browser, request }) => {
  const url = `http://localhost:${ALLOWED_PORT}/posts/${unique('nojs')}`;
  await signUp(request);
  const made = await request.post('/api/threads', { data: { url, title: 'Read without script' } });
  const { room } = await made.json();
  await request.post(`/api/rooms/${room}/messages`, { data: { body: 'Readable without script' } });
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(url);
  await expect(page.locator('iframe')).toHaveCount(0);
  await page.getByRole('link', { name: 'Comments' }).click();
  await expect(page.getByText('Readable without script')).toBeVisible();
  await expect(page.getByRole('heading', { name: '1 comment' })).toBeVisible();
  await context.close();
});
