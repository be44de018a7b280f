import type { FullConfig } from '@playwright/test';
import { waitUntilHealthy } from './tests/server';

// scripts/test.sh starts Playwright right after launching the server: wait until it answers.
export default async function globalSetup(config: FullConfig) {
  const baseURL = config.projects[0].use.baseURL ?? 'http://127.0.0.1:3000';
  await waitUntilHealthy(baseURL);
}
