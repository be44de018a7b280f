// examples/jobs: a second app on the live loader. Someone starts a slow job and watches it
// move live, while everyone's count of running jobs follows; the stream's gate keeps each
// person's jobs to them; the page works without JavaScript and passes axe.
import { type Browser, type Page, expect, test } from '@playwright/test';
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const port = 3150;
const url = `http://127.0.0.1:${port}`;
let server: ChildProcess;

test.beforeAll(async () => {
  const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(root, 'target');
  server = spawn(path.join(targetDir, 'release', 'jobs'), [], {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: path.join(root, 'target', 'jobs-site'),
      JOBS_STEP_MS: '150',
    },
  });
  // Polled: the server says nothing when it starts listening.
  for (let tries = 0; ; tries++) {
    try {
      if ((await fetch(url)).ok) break;
    } catch {
      if (tries > 300) throw new Error('the jobs server did not start');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});

test.afterAll(() => {
  server.kill('SIGTERM');
});

/** A new browser context signed in as `name`, on the page, live. */
async function signedIn(browser: Browser, name: string): Promise<Page> {
  const page = await (await browser.newContext({ baseURL: url })).newPage();
  await page.goto('/');
  await page.getByLabel('Your name').fill(name);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText(`Signed in as ${name}`)).toBeVisible();
  await expect(page.locator('.live-indicator')).toHaveText('live');
  return page;
}

function running(page: Page) {
  return page.locator('.running output');
}

test('a job moves live to done for its owner while everyone sees the running count', async ({ browser }) => {
  const ada = await signedIn(browser, `ada${Date.now()}`);
  const bob = await signedIn(browser, `bob${Date.now()}`);
  await expect(running(bob)).toHaveText('0');

  await ada.getByRole('button', { name: 'Start a job' }).click();
  const job = ada.getByRole('list', { name: 'Your jobs' }).getByRole('listitem');
  await expect(job).toHaveCount(1);
  // Everyone's count goes up while it runs…
  await expect(running(bob)).toHaveText('1');
  // …its owner sees it move and is told it is done, without reloading…
  await expect(job).toContainText(/\d0%/);
  await expect(ada.getByRole('status').filter({ hasText: 'is done' })).toHaveText(/^Job \d+ is done\.$/);
  await expect(job.locator('progress')).toHaveAttribute('value', '100');
  // …and everyone's count comes back down.
  await expect(running(bob)).toHaveText('0');
  await expect(running(ada)).toHaveText('0');
  // Bob has no jobs of his own, and never saw Ada's.
  await expect(bob.getByRole('list', { name: 'Your jobs' }).getByRole('listitem')).toHaveCount(0);
});

test("the stream's gate refuses someone else's topic and one that does not exist", async ({ browser }) => {
  const bob = await signedIn(browser, `bob${Date.now()}`);
  for (const topic of ['user:ada', 'nothing', 'user:']) {
    const answer = await bob.request.get(`/live?topic=${topic}`);
    expect(answer.status(), topic).toBe(404);
  }
  const signedOut = await fetch(`${url}/live?topic=running`, { signal: AbortSignal.timeout(5_000) });
  expect(signedOut.status).toBe(200);
  expect(signedOut.headers.get('content-type')).toBe('text/event-stream');
  await signedOut.body?.cancel();
});

test('without JavaScript, signing in and starting a job are plain forms', async ({ browser }) => {
  const page = await (await browser.newContext({ baseURL: url, javaScriptEnabled: false })).newPage();
  await page.goto('/');
  await page.getByLabel('Your name').fill(`cy${Date.now()}`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Start a job' }).click();
  await expect(page).toHaveURL(`${url}/`);
  await expect(page.getByRole('list', { name: 'Your jobs' }).getByRole('listitem')).toHaveCount(1);
});

test('the page passes axe, signed out and signed in with a job', async ({ browser }) => {
  const page = await signedIn(browser, `di${Date.now()}`);
  await page.getByRole('button', { name: 'Start a job' }).click();
  await expect(page.getByRole('list', { name: 'Your jobs' }).getByRole('listitem')).toHaveCount(1);
  const signedOut = await (await browser.newContext({ baseURL: url })).newPage();
  await signedOut.goto('/');
  for (const each of [page, signedOut]) {
    await each.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
    const violations = await each.evaluate(async () => {
      // @ts-expect-error: axe is the script just added to the page.
      const results = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa'] } });
      return results.violations
        .filter((v: { impact: string }) => v.impact === 'serious' || v.impact === 'critical')
        .map((v: { id: string }) => v.id);
    });
    expect(violations).toEqual([]);
  }
});
