import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// The apps in examples/, each built on the live loader alone. Each spec starts its own
// release server (built by `cargo leptos build --release --project <name>`).
export default defineConfig({
  testDir: './examples',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  workers: 1,
  reporter: [['list']],
  use: { launchOptions: base.use?.launchOptions },
});
