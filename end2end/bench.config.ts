import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// The browser half of `scripts/bench.sh`: measurements, not tests. Each bench starts its own
// release server (built by `cargo leptos build --release`), so no globalSetup.
export default defineConfig({
  testDir: './bench',
  testMatch: '*.bench.ts',
  timeout: 300_000,
  expect: { timeout: 30_000 },
  workers: 1,
  reporter: [['list']],
  use: { launchOptions: base.use?.launchOptions },
});
