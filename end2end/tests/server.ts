// Helpers shared by the specs: rooms of their own, and a server a test can stop and restart.
import { type APIRequestContext, type Browser, type Page, expect } from '@playwright/test';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

/** Polls /healthz until the server answers; there is no event to wait for instead. */
export async function waitUntilHealthy(baseURL: string, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`${baseURL}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${baseURL} did not become healthy`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A fresh name, unique across test runs: `prefix` and a random tail, at most 24 characters. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`.slice(0, 24);
}

/** The password every test account has. */
export const PASSWORD = 'correct horse battery';

const signedIn = new WeakSet<APIRequestContext>();

/**
 * Signs `request` up as a new account (once per request context) and returns its username;
 * the session cookie stays in the context. A browser context's `request` shares its cookies
 * with the context's pages, so this signs the pages in too.
 */
export async function signUp(request: APIRequestContext, baseURL?: string): Promise<string> {
  const username = unique('user');
  const response = await request.post(`${baseURL ?? ''}/api/accounts`, {
    data: { username, password: PASSWORD },
  });
  expect(response.status()).toBe(201);
  signedIn.add(request);
  return username;
}

/** Creates a public room with a fresh slug through the JSON API (signing `request` up if it
 * isn't yet) and returns the slug. */
export async function newRoom(request: APIRequestContext, baseURL?: string): Promise<string> {
  if (!signedIn.has(request)) await signUp(request, baseURL);
  const slug = unique('e2e');
  const response = await request.post(`${baseURL ?? ''}/api/rooms`, {
    data: { slug, title: `Test ${slug}` },
  });
  expect(response.status()).toBe(201);
  return slug;
}

/** A script with an account on the server at `baseURL`, calling with its bearer token. */
export class Script {
  private constructor(
    readonly baseURL: string,
    readonly username: string,
    private readonly token: string,
  ) {}

  static async signUp(baseURL: string): Promise<Script> {
    const username = unique('script');
    const credentials = JSON.stringify({ username, password: PASSWORD });
    const headers = { 'content-type': 'application/json' };
    const created = await fetch(`${baseURL}/api/accounts`, { method: 'POST', headers, body: credentials });
    expect(created.status).toBe(201);
    const session = await fetch(`${baseURL}/api/session`, { method: 'POST', headers, body: credentials });
    expect(session.status).toBe(200);
    return new Script(baseURL, username, (await session.json()).token);
  }

  /** DELETEs `path`. */
  delete(path: string): Promise<Response> {
    return fetch(`${this.baseURL}${path}`, { method: 'DELETE', headers: { authorization: `Bearer ${this.token}` } });
  }

  /** POSTs `data` as JSON to `path`. */
  post(path: string, data: unknown): Promise<Response> {
    return fetch(`${this.baseURL}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body: JSON.stringify(data),
    });
  }
}

/** MURMUR_ADMINS names this account (scripts/test.sh): it moderates every thread and sees
 * the operations dashboard. */
export const ADMIN = 'e2e-moderator';

/** A page of a new context signed in as [`ADMIN`] (the account made on first use). */
export async function asAdmin(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  const data = { username: ADMIN, password: PASSWORD };
  const made = await context.request.post('/api/accounts', { data });
  if (made.status() === 409) {
    expect((await context.request.post('/api/session', { data })).status()).toBe(200);
  } else {
    expect(made.status()).toBe(201);
  }
  return context.newPage();
}

/** Waits until the page is hydrated and its live connection is open. */
export async function expectLive(page: Page) {
  await expect(page.getByRole('status')).toHaveText('live');
}

/** A Murmur release server of the test's own, on its own port and database. */
export class OwnServer {
  private process?: ChildProcess;
  readonly url: string;
  private readonly databaseUrl: string;

  /** On a SQLite file of its own unless given `databaseUrl`; `env` adds to its environment. */
  constructor(
    readonly port: number,
    databaseUrl?: string,
    private readonly env: Record<string, string> = {},
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.databaseUrl = databaseUrl ?? `sqlite://${mkdtempSync(path.join(tmpdir(), 'murmur-e2e-'))}/murmur.db`;
  }

  async start() {
    const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(root, 'target');
    const binary = process.env.MURMUR_BIN ?? path.join(targetDir, 'release', 'murmur');
    this.process = spawn(binary, [], {
      cwd: root,
      stdio: 'inherit',
      env: {
        ...process.env,
        LEPTOS_SITE_ADDR: `127.0.0.1:${this.port}`,
        LEPTOS_SITE_ROOT: path.join(root, 'target', 'site'),
        DATABASE_URL: this.databaseUrl,
        // Tests sign up and post faster than people do; the app tests cover the limits.
        MURMUR_LIMIT_POSTS: 'off',
        MURMUR_LIMIT_ROOMS: 'off',
        MURMUR_LIMIT_SIGN_UPS_PER_ADDRESS: 'off',
        MURMUR_LIMIT_SIGN_INS_PER_ADDRESS: 'off',
        MURMUR_LIMIT_STREAM_OPENS: 'off',
        ...this.env,
      },
    });
    await waitUntilHealthy(this.url, 30_000);
  }

  /** Stops the server as an operator would (SIGTERM) and waits for it to exit. */
  async stop() {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}
