import { defineConfig } from '@playwright/test';

// Run by scripts/test.sh, which starts the release server at MURMUR_URL (default :3000) first.
// Chromium comes from Debian (/usr/bin/chromium): Playwright never downloads a browser.
export default defineConfig({
  testDir: './tests',
  globalSetup: './global-setup.ts',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  workers: 2,
  reporter: [['list']],
  use: {
    baseURL: process.env.MURMUR_URL ?? 'http://127.0.0.1:3000',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
