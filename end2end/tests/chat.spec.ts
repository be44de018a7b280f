// A room that behaves like a chat: edits and deletions reaching everyone (and a reader who
// was cut off), the view staying where the reader wants it, links, the layout on a phone,
// and a draft that survives a reload.
import { type Page, expect, test } from '@playwright/test';
import { expectLive, newRoom, signUp } from './server';

/** The room's message list. */
function messages(page: Page) {
  return page.getByRole('list', { name: 'Messages' });
}

/** The message that shows `text`. */
function message(page: Page, text: string | RegExp) {
  return messages(page).getByRole('listitem').filter({ hasText: text });
}

test('an edit and a deletion reach another browser live, and one that was cut off catches up', async ({ browser, request }) => {
  const slug = await newRoom(request);
  const [alice, bob, carol] = await Promise.all([1, 2, 3].map(async () => (await browser.newContext()).newPage()));
  await signUp(alice.context().request);
  await alice.goto(`/rooms/${slug}`);
  await expectLive(alice);
  const composer = alice.getByRole('textbox', { name: 'Message' });
  for (const text of ['helo wrold', 'oops, wrong room']) {
    await composer.fill(text);
    await composer.press('Enter');
    await expect(message(alice, text)).toBeVisible();
  }
  await bob.goto(`/rooms/${slug}`);
  await expectLive(bob);
  // Carol's stream is blocked for as long as the changes take.
  await carol.route('**/live?*', (route) => route.abort());
  await carol.goto(`/rooms/${slug}`);
  await expect(message(carol, 'helo wrold')).toBeVisible();

  await message(alice, 'helo wrold').getByTitle('Message actions').click();
  await message(alice, 'helo wrold').getByRole('link', { name: 'Edit message' }).click();
  const edit = alice.getByRole('textbox', { name: 'Edit message' });
  await expect(edit).toHaveValue('helo wrold');
  await edit.fill('hello world');
  await edit.press('Enter');
  await message(alice, 'oops, wrong room').getByTitle('Message actions').click();
  await message(alice, 'oops, wrong room').getByRole('button', { name: 'Delete message' }).click();

  for (const page of [alice, bob]) {
    await expect(message(page, 'hello world')).toContainText('(edited)');
    await expect(messages(page).getByText('message deleted')).toBeVisible();
    await expect(messages(page).getByText('oops')).toHaveCount(0);
  }
  await expect(messages(carol).getByText('oops, wrong room')).toBeVisible();
  await carol.unroute('**/live?*');
  await expectLive(carol);
  await expect(message(carol, 'hello world')).toContainText('(edited)');
  await expect(messages(carol).getByText('message deleted')).toBeVisible();
  await expect(messages(carol).getByText('oops')).toHaveCount(0);
  await expect(messages(carol).getByRole('listitem')).toHaveCount(2);
  // Bob may do neither to Alice's messages.
  await expect(messages(bob).getByTitle('Message actions')).toHaveCount(0);
});

test('the view follows new messages at the bottom and holds still for a reader scrolled up', async ({ page, request }) => {
  const slug = await newRoom(request);
  const post = async (body: string) => {
    expect((await request.post(`/api/rooms/${slug}/messages`, { data: { body } })).status()).toBe(201);
  };
  for (let n = 1; n <= 55; n++) await post(`number ${n}\nwith a second line`);
  await page.goto(`/rooms/${slug}`);
  await expectLive(page);
  await expect(message(page, /number 55\b/)).toBeInViewport();

  await post('arrives at the bottom');
  await expect(message(page, 'arrives at the bottom')).toBeInViewport();
  const newBelow = page.getByRole('button', { name: /new messages? ↓/ });
  await expect(newBelow).toBeHidden();

  // Up in the history: arrivals don't move what is being read.
  const reading = message(page, /number 30\b/);
  await reading.scrollIntoViewIfNeeded();
  await expect(reading).toBeInViewport();
  const before = (await reading.boundingBox())!.y;
  await post('while reading one');
  await post('while reading two');
  await expect(newBelow).toHaveText('2 new messages ↓');
  expect((await reading.boundingBox())!.y).toBeCloseTo(before, 0);
  await expect(message(page, 'while reading two')).not.toBeInViewport();
  await newBelow.click();
  await expect(message(page, 'while reading two')).toBeInViewport();
  await expect(newBelow).toBeHidden();

  // At the top: older messages go in above what was being read.
  await page.getByRole('button', { name: 'Load older messages' }).scrollIntoViewIfNeeded();
  const read = message(page, /number 8\b/);
  await expect(read).toBeInViewport();
  const top = (await read.boundingBox())!.y;
  await page.getByRole('button', { name: 'Load older messages' }).click();
  await expect(message(page, /number 1\b/)).toBeAttached();
  expect((await read.boundingBox())!.y).toBeCloseTo(top, 0);
});

for (const javaScriptEnabled of [true, false]) {
  test(`URLs become safe links, and nothing else does (${javaScriptEnabled ? 'hydrated' : 'JavaScript off'})`, async ({ browser, request }) => {
    const slug = await newRoom(request);
    const body = 'see https://example.com/a?b=1, not javascript:alert(1) or <a href="https://evil.example">x</a>';
    expect((await request.post(`/api/rooms/${slug}/messages`, { data: { body } })).status()).toBe(201);
    const page = await (await browser.newContext({ javaScriptEnabled })).newPage();
    await page.goto(`/rooms/${slug}`);
    const links = messages(page).getByRole('link');
    await expect(links).toHaveCount(2);
    const link = messages(page).getByRole('link', { name: 'https://example.com/a?b=1' });
    await expect(link).toHaveAttribute('href', 'https://example.com/a?b=1');
    await expect(link).toHaveAttribute('target', '_blank');
    await expect(link).toHaveAttribute('rel', 'noopener noreferrer nofollow');
    await expect(messages(page).getByRole('link', { name: 'https://evil.example' })).toHaveAttribute('href', 'https://evil.example');
    await expect(messages(page)).toContainText('<a href="');
  });
}

test('a link that arrives live is a link too, and opens in a new tab', async ({ page, request }) => {
  const slug = await newRoom(request);
  await page.goto(`/rooms/${slug}`);
  await expectLive(page);
  await request.post(`/api/rooms/${slug}/messages`, { data: { body: 'live: http://127.0.0.1:9/x' } });
  const link = messages(page).getByRole('link', { name: 'http://127.0.0.1:9/x' });
  const opened = page.context().waitForEvent('page');
  await link.click();
  const tab = await opened;
  expect(await tab.evaluate(() => window.opener)).toBeNull();
});

for (const [device, viewport] of [['desktop', { width: 1280, height: 720 }], ['phone', { width: 390, height: 844 }]] as const) {
  test(`the room fills the window and the composer stays at its bottom (${device})`, async ({ browser, request }) => {
    const slug = await newRoom(request);
    const page = await (await browser.newContext({ viewport })).newPage();
    await signUp(page.context().request);
    const bottomGap = async () => {
      const send = (await page.getByRole('button', { name: 'Send' }).boundingBox())!;
      return viewport.height - (send.y + send.height);
    };
    await page.goto(`/rooms/${slug}`);
    await expect(page.getByRole('textbox', { name: 'Message' })).toBeInViewport();
    // The layout may still settle (fonts, the island's first render): asked until it holds.
    await expect.poll(bottomGap).toBeLessThan(80);
    await expect.poll(bottomGap).toBeGreaterThanOrEqual(0);

    for (let n = 1; n <= 30; n++) await request.post(`/api/rooms/${slug}/messages`, { data: { body: `line ${n}` } });
    await page.reload();
    await expect(message(page, 'line 30')).toBeInViewport();
    await expect(page.getByRole('textbox', { name: 'Message' })).toBeInViewport();
    await expect.poll(bottomGap).toBeLessThan(80);
  });
}

test('Shift+Enter starts a new line, and an unsent draft survives a reload', async ({ page, request }) => {
  const slug = await newRoom(request);
  await signUp(page.context().request);
  await page.goto(`/rooms/${slug}`);
  await expectLive(page);
  const composer = page.getByRole('textbox', { name: 'Message' });
  await composer.pressSequentially('half a');
  await composer.press('Shift+Enter');
  await composer.pressSequentially('thought');
  await expect(composer).toHaveValue('half a\nthought');
  await expect(messages(page).getByRole('listitem')).toHaveCount(0);

  await page.reload();
  await expectLive(page);
  await expect(composer).toHaveValue('half a\nthought');
  await composer.press('Enter');
  await expect(message(page, 'thought')).toBeVisible();
  await expect(composer).toHaveValue('');
  await expect(composer).toBeFocused();
  await page.reload();
  await expectLive(page);
  await expect(composer).toHaveValue('');
});

test('a message typed and sent while the one before is on its way is kept and sent after it', async ({ page }) => {
  await signUp(page.context().request);
  const slug = await newRoom(page.context().request);
  await page.goto(`/rooms/${slug}`);
  await expectLive(page);
  // The first post is held until the second has been typed and sent.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let first = true;
  await page.route('**/api/post_message', async (route) => {
    if (first) {
      first = false;
      await held;
    }
    await route.continue();
  });
  const composer = page.getByRole('textbox', { name: 'Message' });
  await composer.fill('first of two');
  await composer.press('Enter');
  await composer.fill('second of two');
  await composer.press('Enter');
  release();
  await expect(message(page, 'first of two')).toBeVisible();
  await expect(message(page, 'second of two')).toBeVisible();
  await expect(composer).toHaveValue('');
  await expect(page.getByRole('alert')).toHaveCount(0);
});
