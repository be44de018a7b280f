// One live connection for all of a browser's tabs: a leader tab holds the stream for every
// tab's topics and hands events on; the others hold none. Each test runs a server of its
// own, so that /metrics counts its streams alone.
import { type BrowserContext, type Page, expect, test } from '@playwright/test';
import { OwnServer, Script, expectLive, newRoom, signUp } from './server';

/** A server of the test's own: port 3400 + 10 × worker + `n`. */
async function ownServer(n: number): Promise<OwnServer> {
  const server = new OwnServer(3400 + 10 * test.info().workerIndex + n);
  await server.start();
  return server;
}

/** How many event streams the server holds open now. */
async function openStreams(server: OwnServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^murmur_live_streams (\d+)$/m.exec(text)![1]);
}

function bodies(page: Page) {
  return page.getByRole('list', { name: 'Messages' }).locator('.body');
}

/** Opens `path` in a new tab of `context` and waits until it is live. */
async function openTab(context: BrowserContext, path: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(path);
  await expectLive(page);
  return page;
}

/** The room's messages as the JSON API has them. */
async function stored(server: OwnServer, slug: string): Promise<string[]> {
  const messages = await (await fetch(`${server.url}/api/rooms/${slug}/messages`)).json();
  return messages.map((message: { body: string }) => message.body);
}

test('ten tabs share one stream, every tab is live, and an eleventh loads and posts', async ({ browser }) => {
  const server = await ownServer(0);
  try {
    const context = await browser.newContext({ baseURL: server.url });
    await signUp(context.request, server.url);
    const rooms = [await newRoom(context.request, server.url), await newRoom(context.request, server.url)];
    const paths = Array.from({ length: 10 }, (_, i) => (i === 9 ? '/' : `/rooms/${rooms[i % 2]}`));
    const tabs: Page[] = [];
    // One at a time: on plain HTTP/1.1 a stream per tab would stall the seventh.
    for (const path of paths) tabs.push(await openTab(context, path));
    await expect.poll(() => openStreams(server)).toBe(1);

    const poster = await Script.signUp(server.url);
    for (const slug of rooms) {
      expect((await poster.post(`/api/rooms/${slug}/messages`, { body: `hello ${slug}` })).status).toBe(201);
    }
    for (const [i, tab] of tabs.slice(0, 9).entries()) {
      await expect(bodies(tab)).toHaveText([`hello ${rooms[i % 2]}`]);
    }

    const eleventh = await openTab(context, `/rooms/${rooms[0]}`);
    const composer = eleventh.getByRole('textbox', { name: 'Message' });
    await composer.fill('from the eleventh tab');
    await composer.press('Enter');
    await expect(bodies(tabs[0])).toHaveText([`hello ${rooms[0]}`, 'from the eleventh tab']);
    await expect(bodies(eleventh)).toHaveText([`hello ${rooms[0]}`, 'from the eleventh tab']);
    expect(await openStreams(server)).toBe(1);
    await context.close();
  } finally {
    await server.stop();
  }
});

test('when the leader tab closes, another takes over and the rest miss nothing', async ({ browser }) => {
  const server = await ownServer(1);
  try {
    const context = await browser.newContext({ baseURL: server.url });
    const slug = await newRoom(context.request, server.url);
    // The first tab takes the lock: it leads.
    const leader = await openTab(context, `/rooms/${slug}`);
    const followers = [await openTab(context, `/rooms/${slug}`), await openTab(context, `/rooms/${slug}`)];
    await expect.poll(() => openStreams(server)).toBe(1);

    const poster = await Script.signUp(server.url);
    const posting = (async () => {
      for (let i = 1; i <= 30; i++) {
        expect((await poster.post(`/api/rooms/${slug}/messages`, { body: `message ${i}` })).status).toBe(201);
        if (i === 10) await leader.close();
      }
    })();
    await posting;
    const expected = await stored(server, slug);
    expect(expected).toHaveLength(30);
    for (const follower of followers) {
      await expect(bodies(follower)).toHaveText(expected);
      await expectLive(follower);
    }
    await expect.poll(() => openStreams(server)).toBe(1);
    await context.close();
  } finally {
    await server.stop();
  }
});

test('a follower tab that opens another room is live there without a second stream', async ({ browser }) => {
  const server = await ownServer(2);
  try {
    const context = await browser.newContext({ baseURL: server.url });
    const first = await newRoom(context.request, server.url);
    const second = await newRoom(context.request, server.url);
    await openTab(context, `/rooms/${first}`);
    const follower = await openTab(context, `/rooms/${first}`);
    await follower.goto(`/rooms/${second}`);
    await expectLive(follower);

    const poster = await Script.signUp(server.url);
    expect((await poster.post(`/api/rooms/${second}/messages`, { body: 'in the second room' })).status).toBe(201);
    await expect(bodies(follower)).toHaveText(['in the second room']);
    expect(await openStreams(server)).toBe(1);
    await context.close();
  } finally {
    await server.stop();
  }
});

test('without Web Locks each tab holds a stream of its own, and each is live', async ({ browser }) => {
  const server = await ownServer(3);
  try {
    const context = await browser.newContext({ baseURL: server.url });
    await context.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined });
    });
    const slug = await newRoom(context.request, server.url);
    const tabs = [await openTab(context, `/rooms/${slug}`), await openTab(context, `/rooms/${slug}`)];
    await expect.poll(() => openStreams(server)).toBe(2);

    const poster = await Script.signUp(server.url);
    expect((await poster.post(`/api/rooms/${slug}/messages`, { body: 'to both tabs' })).status).toBe(201);
    for (const tab of tabs) await expect(bodies(tab)).toHaveText(['to both tabs']);
    await context.close();
  } finally {
    await server.stop();
  }
});

test('signing out in one tab ends the personal topics of every tab', async ({ browser }) => {
  const server = await ownServer(4);
  try {
    const context = await browser.newContext({ baseURL: server.url });
    const streams: string[] = [];
    context.on('request', (request) => {
      if (request.url().includes('/live?')) streams.push(request.url());
    });
    const username = await signUp(context.request, server.url);
    const slug = await newRoom(context.request, server.url);
    const [one, two] = [await openTab(context, `/rooms/${slug}`), await openTab(context, '/')];
    await expect(two.getByText(`Signed in as ${username}`)).toBeVisible();

    await one.getByRole('button', { name: 'Sign out' }).click();
    // The other tab was rendered for the account that signed out: it reloads, signed out.
    await expect(two.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Sign in' })).toBeVisible();
    await expectLive(two);
    await expectLive(one);
    await expect.poll(() => openStreams(server)).toBe(1);
    expect(streams.at(0)).toContain(`topic=user:${username}`);
    // The stream open now is the last one asked for.
    expect(streams.at(-1)).not.toContain(username);
    await context.close();
  } finally {
    await server.stop();
  }
});

test('a topic no tab wants any more leaves the stream', async ({ browser }) => {
  const server = await ownServer(5);
  try {
    const context = await browser.newContext({ baseURL: server.url });
    const streams: string[] = [];
    context.on('request', (request) => {
      if (request.url().includes('/live?')) streams.push(request.url());
    });
    const [first, second] = [await newRoom(context.request, server.url), await newRoom(context.request, server.url)];
    await openTab(context, `/rooms/${first}`);
    const follower = await openTab(context, `/rooms/${second}`);
    await expect.poll(() => streams.at(-1)).toContain(`topic=room:${second}`);

    await follower.close();
    await expect.poll(() => streams.at(-1)).not.toContain(`room:${second}`);
    expect(streams.at(-1)).toContain(`topic=room:${first}`);
    await expect.poll(() => openStreams(server)).toBe(1);
    await context.close();
  } finally {
    await server.stop();
  }
});

test('a private room someone is removed from leaves the stream, and their other tabs stay live', async ({ browser }) => {
  const server = await ownServer(6);
  try {
    const owner = await Script.signUp(server.url);
    const secret = `s${Date.now().toString(36)}`;
    expect((await owner.post('/api/rooms', { slug: secret, title: 'Secret', private: true })).status).toBe(201);
    const [open, more] = [`o${Date.now().toString(36)}`, `m${Date.now().toString(36)}`];
    for (const slug of [open, more]) expect((await owner.post('/api/rooms', { slug, title: slug })).status).toBe(201);
    const context = await browser.newContext({ baseURL: server.url });
    const member = await signUp(context.request, server.url);
    expect((await owner.post(`/api/rooms/${secret}/members`, { username: member })).status).toBe(201);
    await openTab(context, `/rooms/${secret}`);
    const other = await openTab(context, `/rooms/${open}`);

    expect((await owner.delete(`/api/rooms/${secret}/members/${member}`)).status).toBe(204);
    // A third tab on another room makes the stream grow: a stream asking for the secret
    // room too would now be refused as a whole.
    const third = await openTab(context, `/rooms/${more}`);
    expect((await owner.post(`/api/rooms/${open}/messages`, { body: 'still live' })).status).toBe(201);
    await expect(bodies(other)).toHaveText(['still live']);
    await expectLive(third);
    await expectLive(other);
    await context.close();
  } finally {
    await server.stop();
  }
});

test('a removal that came while the stream was down leaves that room out, not every tab', async ({ browser }) => {
  const server = await ownServer(7);
  try {
    const owner = await Script.signUp(server.url);
    const [secret, open] = [`s${Date.now().toString(36)}`, `o${Date.now().toString(36)}`];
    expect((await owner.post('/api/rooms', { slug: secret, title: 'Secret', private: true })).status).toBe(201);
    expect((await owner.post('/api/rooms', { slug: open, title: 'Open' })).status).toBe(201);
    const context = await browser.newContext({ baseURL: server.url });
    const member = await signUp(context.request, server.url);
    expect((await owner.post(`/api/rooms/${secret}/members`, { username: member })).status).toBe(201);
    await openTab(context, `/rooms/${secret}`);
    const other = await openTab(context, `/rooms/${open}`);

    // The stream goes down, and stays down while the member is removed.
    await context.route('**/live?*', (route) => route.abort());
    await server.stop();
    await expect(other.getByRole('status')).not.toHaveText('live');
    await server.start();
    expect((await owner.delete(`/api/rooms/${secret}/members/${member}`)).status).toBe(204);
    // Back: a stream asking for the secret room too is refused as a whole.
    await context.unroute('**/live?*');
    await expectLive(other);
    expect((await owner.post(`/api/rooms/${open}/messages`, { body: 'live again' })).status).toBe(201);
    await expect(bodies(other)).toHaveText(['live again']);
    await context.close();
  } finally {
    await server.stop();
  }
});

test('two browser profiles signed in as two people share nothing: a stream each', async ({ browser }) => {
  const server = await ownServer(8);
  try {
    const [ada, bob] = [
      await browser.newContext({ baseURL: server.url }),
      await browser.newContext({ baseURL: server.url }),
    ];
    const adaName = await signUp(ada.request, server.url);
    const bobName = await signUp(bob.request, server.url);
    const slug = await newRoom(ada.request, server.url);
    const streams: string[] = [];
    bob.on('request', (request) => {
      if (request.url().includes('/live?')) streams.push(request.url());
    });
    const adaTab = await openTab(ada, `/rooms/${slug}`);
    const bobTab = await openTab(bob, `/rooms/${slug}`);
    await expect.poll(() => openStreams(server)).toBe(2);
    expect(streams.at(-1)).toContain(`topic=user:${bobName}`);
    expect(streams.at(-1)).not.toContain(adaName);

    const poster = await Script.signUp(server.url);
    expect((await poster.post(`/api/rooms/${slug}/messages`, { body: 'to both' })).status).toBe(201);
    for (const tab of [adaTab, bobTab]) await expect(bodies(tab)).toHaveText(['to both']);
    await Promise.all([ada.close(), bob.close()]);
  } finally {
    await server.stop();
  }
});

test('when the leader tab navigates away, another takes over and misses nothing', async ({ browser }) => {
  const server = await ownServer(9);
  try {
    const context = await browser.newContext({ baseURL: server.url });
    const slug = await newRoom(context.request, server.url);
    const leader = await openTab(context, `/rooms/${slug}`);
    const follower = await openTab(context, `/rooms/${slug}`);
    const poster = await Script.signUp(server.url);
    for (let i = 1; i <= 20; i++) {
      expect((await poster.post(`/api/rooms/${slug}/messages`, { body: `message ${i}` })).status).toBe(201);
      if (i === 5) await leader.goto('/');
    }
    await expect(bodies(follower)).toHaveText(await stored(server, slug));
    await expectLive(leader);
    await expectLive(follower);
    await expect.poll(() => openStreams(server)).toBe(1);
    await context.close();
  } finally {
    await server.stop();
  }
});
