// Accounts as people use them: signing up, in and out through the pages (with JavaScript on
// and off), private rooms seen only by their members, and hostile text shown as text.
import { type Page, expect, test } from '@playwright/test';
import { PASSWORD, expectLive, newRoom, signUp, unique } from './server';

/** Fills the sign-up or sign-in form on the current page and submits it. */
async function submitAccountForm(page: Page, username: string, password: string, button: string) {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: button }).click();
}

for (const javaScriptEnabled of [true, false]) {
  test.describe(javaScriptEnabled ? 'hydrated' : 'JavaScript off', () => {
    test.use({ javaScriptEnabled });

    test('sign up, post, sign out, and sign in again', async ({ page, request }) => {
      const slug = await newRoom(request);
      const taken = await signUp(request);
      const username = unique('person');
      await page.goto(`/rooms/${slug}`);
      await expect(page.getByText('Sign in to post')).toBeVisible();
      await expect(page.getByRole('textbox', { name: 'Message' })).toHaveCount(0);

      // "Sign up" in the top bar comes back to the room afterwards.
      await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Sign up' }).click();
      // The browser itself refuses a too-short password; the server refuses a taken name.
      await submitAccountForm(page, username, 'short', 'Create an account');
      await expect(page).toHaveURL(/\/signup\?next=/);
      await submitAccountForm(page, taken.toUpperCase(), PASSWORD, 'Create an account');
      await expect(page.getByRole('alert')).toHaveText(`the username “${taken}” is taken`);
      await submitAccountForm(page, username, PASSWORD, 'Create an account');
      await expect(page).toHaveURL(new RegExp(`/rooms/${slug}\\??$`));
      await expect(page.getByText(`Signed in as ${username}`)).toBeVisible();
      // Hydrated, the composer is typed into once its island has taken over the page (as
      // every other test waits for): a draft filled before that is reset by hydration.
      if (javaScriptEnabled) await expectLive(page);

      await page.getByRole('textbox', { name: 'Message' }).fill('my first words');
      await page.getByRole('button', { name: 'Send' }).click();
      const messages = page.getByRole('list', { name: 'Messages' });
      await expect(messages.getByText('my first words')).toBeVisible();
      await expect(messages.locator('.author')).toHaveText([username]);

      await page.getByRole('button', { name: 'Sign out' }).click();
      await expect(page).toHaveURL(/\/\??$/);
      await expect(page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Sign in' })).toBeVisible();

      await page.goto('/signin');
      await submitAccountForm(page, username, 'not my password', 'Sign in');
      await expect(page.getByRole('alert')).toHaveText('wrong username or password');
      await submitAccountForm(page, username.toUpperCase(), PASSWORD, 'Sign in');
      await expect(page.getByText(`Signed in as ${username}`)).toBeVisible();
    });
  });
}

test('a private room is seen only by its members, and appears live for someone added', async ({ browser }) => {
  const alice = await (await browser.newContext()).newPage();
  const bob = await (await browser.newContext()).newPage();
  await signUp(alice.context().request);
  const bobName = await signUp(bob.context().request);
  const slug = unique('secret');

  await alice.goto('/');
  await alice.getByLabel('Title').fill('Secret plans');
  await alice.getByLabel('Address').fill(slug);
  await alice.getByLabel(/Private/).check();
  await alice.getByRole('button', { name: 'Create room' }).click();
  await expect(alice).toHaveURL(new RegExp(`/rooms/${slug}$`));
  await expectLive(alice);
  await alice.getByRole('textbox', { name: 'Message' }).fill('only for members');
  await alice.getByRole('textbox', { name: 'Message' }).press('Enter');
  await expect(alice.getByRole('list', { name: 'Messages' }).getByText('only for members')).toBeVisible();

  // Bob can't see it: not in his list, and its page doesn't exist for him.
  const response = await bob.goto(`/rooms/${slug}`);
  expect(response?.status()).toBe(404);
  await bob.goto('/');
  await expectLive(bob);
  const bobsRooms = bob.getByRole('list', { name: 'Rooms' });
  await expect(bobsRooms).not.toContainText(`#${slug}`);

  // Alice adds him; his list shows the room without a reload.
  await bob.evaluate(() => ((window as any).sameDocument = true));
  await alice.getByText('Members', { exact: true }).click();
  await alice.getByLabel('Add someone').fill(bobName);
  await alice.getByRole('button', { name: 'Add' }).click();
  await expect(alice.getByRole('list', { name: 'Members' })).toContainText(bobName);
  await expect(bobsRooms).toContainText(`#${slug}`);
  expect(await bob.evaluate(() => (window as any).sameDocument)).toBe(true);
  await bobsRooms.getByRole('link').filter({ hasText: `#${slug}` }).click();
  await expect(bob.getByRole('list', { name: 'Messages' }).getByText('only for members')).toBeVisible();
  await expectLive(bob);

  // Alice removes him: his tab leaves the room at once, and it is gone from his list.
  const bobsRow = alice.getByRole('list', { name: 'Members' }).getByRole('listitem').filter({ hasText: bobName });
  await bobsRow.getByRole('button', { name: 'Remove' }).click();
  await expect(alice.getByRole('list', { name: 'Members' })).not.toContainText(bobName);
  await expect(bob).toHaveURL(/\/$/);
  await expect(bob.getByRole('list', { name: 'Rooms' })).not.toContainText(`#${slug}`);
});

const CORPUS = [
  '<script>window.pwned = 1</script>',
  '"><img src=x onerror="window.pwned = 1">',
  "' onmouseover='window.pwned = 1",
  'javascript:window.pwned = 1',
  '</script><script>window.pwned = 1</script>',
  '<b>not bold</b> &amp; &lt;',
];

for (const javaScriptEnabled of [true, false]) {
  test(`hostile text in messages and titles shows as literal text and runs nothing (${javaScriptEnabled ? 'hydrated' : 'JavaScript off'})`, async ({ browser, request }) => {
    const context = await browser.newContext({ javaScriptEnabled });
    const page = await context.newPage();
    await signUp(context.request);
    const slug = unique('xss');
    const title = CORPUS[1];
    expect((await context.request.post('/api/rooms', { data: { slug, title } })).status()).toBe(201);
    for (const body of CORPUS) {
      const posted = await context.request.post(`/api/rooms/${slug}/messages`, { data: { body } });
      expect(posted.status()).toBe(201);
    }
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      return dialog.dismiss();
    });

    await page.goto(`/rooms/${slug}`);
    await expect(page.getByRole('heading', { name: title })).toBeVisible();
    const bodies = page.getByRole('list', { name: 'Messages' }).locator('.body');
    await expect(bodies).toHaveText(CORPUS);
    await expect(page.getByRole('list', { name: 'Messages' }).getByRole('link')).toHaveCount(0);
    if (javaScriptEnabled) {
      // Live, too: one more arrives through the event stream.
      await expectLive(page);
      await context.request.post(`/api/rooms/${slug}/messages`, { data: { body: CORPUS[0] } });
      await expect(bodies).toHaveCount(CORPUS.length + 1);
      await expect(bodies.last()).toHaveText(CORPUS[0]);
      expect(await page.evaluate(() => (window as any).pwned)).toBeUndefined();
    }

    await page.goto('/');
    await expect(page.getByRole('list', { name: 'Rooms' })).toContainText(title);
    expect(dialogs).toEqual([]);

    // Usernames can't carry markup at all: the server refuses them.
    const refused = await request.post('/api/accounts', { data: { username: CORPUS[0], password: PASSWORD } });
    expect(refused.status()).toBe(422);
  });
}
