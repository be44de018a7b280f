// Helpers shared by the specs: rooms of their own, and a server a test can stop and restart.
import { type APIRequestContext, type Page, expect } from '@playwright/test';
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

/** Creates a room with a fresh slug through the JSON API and returns the slug. */
export async function newRoom(request: APIRequestContext, baseURL?: string): Promise<string> {
  const slug = `e2e-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
  const response = await request.post(`${baseURL ?? ''}/api/rooms`, {
    data: { slug, title: `Test ${slug}` },
  });
  expect(response.status()).toBe(201);
  return slug;
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

  constructor(readonly port: number) {
    this.url = `http://127.0.0.1:${port}`;
    this.databaseUrl = `sqlite://${mkdtempSync(path.join(tmpdir(), 'murmur-e2e-'))}/murmur.db`;
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
