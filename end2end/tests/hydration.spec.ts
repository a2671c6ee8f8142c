import { test, expect, waitForHydration, signUp, addTodos, settled } from './fixtures';

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

test('the filters follow the URL without a page load; other links load their page', async ({ page }) => {
  await signUp(page);
  await addTodos(page, 'open', 'done');
  await page.locator('.todo-list li').filter({ hasText: 'done' }).locator('.toggle').check();
  await settled(page);
  // A page load would wipe this.
  await page.evaluate(() => ((window as any).__sameDocument = true));

  await page.getByRole('link', { name: 'Active' }).click();
  await expect(page).toHaveURL(/\/active$/);
  await expect(page.locator('.todo-list li')).toHaveText(['open']);
  await page.goBack();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.locator('.todo-list li')).toHaveCount(2);
  expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);

  // The pages themselves are rendered by the server: the islands build ships no
  // client-side router (BENCHMARKS.md, "Page weight", step 7).
  await page.locator('.user-email').click();
  await expect(page.getByRole('heading', { name: 'Your account' })).toBeVisible();
  expect(await page.evaluate(() => (window as any).__sameDocument)).toBeUndefined();
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
