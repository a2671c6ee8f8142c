import { test, expect, waitForHydration, signUp, addTodos, settled, newUser } from './fixtures';

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
  // Nobody is signed in, so the todo page sends the visitor to sign in: a page load of
  // the other bundle, which must start under the same policy. Waiting for it also
  // keeps the test from ending with that load in flight.
  await expect(page).toHaveURL(/\/login\?next=/);
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

test('what is typed before the page is interactive is kept', async ({ page }) => {
  const user = newUser();
  expect((await page.request.post('/api/v1/users', { data: user })).status()).toBe(201);
  // A slow network: the module arrives only once the visitor has filled the form in.
  let release = () => {};
  const arrived = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/pkg/*.wasm', async (route) => {
    await arrived;
    await route.continue();
  });

  await page.goto('/login');
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await expect(page.locator('.app[data-hydrated="true"]')).not.toBeAttached();
  release();
  await waitForHydration(page);

  await expect(page.getByLabel('Email')).toHaveValue(user.email);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('.new-todo')).toBeVisible();
});
