import { test, expect, waitForHydration } from './fixtures';

test('the server-rendered page hydrates without a CSP violation', async ({ page }) => {
  const violations: string[] = [];
  await page.exposeFunction('reportViolation', (v: string) => violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) =>
      (window as any).reportViolation(`${event.violatedDirective} ${event.blockedURI}`),
    );
  });

  const response = await page.goto('/');
  expect(response?.status()).toBe(200);
  expect(response?.headers()['content-security-policy']).toContain("'wasm-unsafe-eval'");
  await waitForHydration(page);
  expect(violations).toEqual([]);
});

test('links navigate in the page once it is hydrated', async ({ page }) => {
  await page.goto('/');
  await waitForHydration(page);
  // A full page load would wipe this; the client-side router keeps it.
  await page.evaluate(() => ((window as any).__sameDocument = true));
  await page.getByRole('link', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
});

test('an unknown path shows the not-found page', async ({ page, consoleProblems }) => {
  const response = await page.goto('/no/such/page');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await waitForHydration(page);
  // The browser reports the document's own 404 status; that one is expected.
  const expected = /Failed to load resource: .* 404/;
  consoleProblems.splice(0, consoleProblems.length, ...consoleProblems.filter((p) => !expected.test(p)));
});
