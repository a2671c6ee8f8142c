// The `test` every spec uses: it fails a test whose page logged an error or warning
// (a CSP violation, a hydration mismatch, a 404 for an asset) or threw.
import { test as base, expect, Page } from '@playwright/test';

type Fixtures = { consoleProblems: string[] };

export const test = base.extend<Fixtures>({
  consoleProblems: [
    async ({ page }, use) => {
      const problems: string[] = [];
      watchConsole(page, problems);
      await use(problems);
      expect(problems, 'console errors and warnings').toEqual([]);
    },
    { auto: true },
  ],
});

/** Records console errors and warnings, uncaught exceptions and CSP violations of `page`. */
export function watchConsole(page: Page, problems: string[]) {
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      problems.push(`${message.type()}: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
}

/** Waits until the WASM bundle has hydrated the server-rendered page. */
export async function waitForHydration(page: Page) {
  await expect(page.locator('.app[data-hydrated="true"]')).toBeAttached();
}

export { expect };
