// The token paths of the API client and how tabs keep in step. Most run against a server
// whose access tokens live two seconds (plus the server's five seconds of clock leeway) and
// whose refresh tokens have no reuse grace, so any double refresh would show as a sign-out.
import { Page } from '@playwright/test';
import {
  test,
  expect,
  signUp,
  addTodos,
  settled,
  signIn,
  storedTokens,
  waitForHydration,
  withoutLiveStream,
} from './fixtures';

const short = process.env.SHORT_TOKENS_URL!;
/** Long enough for an access token of the short server to be refused. */
const EXPIRY_MS = 8_000;

function countRefreshes(page: Page) {
  const seen = { requests: 0, statuses: [] as number[] };
  page.on('request', (request) => {
    if (request.url().endsWith('/api/v1/refresh')) seen.requests += 1;
  });
  page.on('requestfinished', async (request) => {
    if (request.url().endsWith('/api/v1/refresh')) seen.statuses.push((await request.response())?.status() ?? 0);
  });
  return seen;
}

test.describe.configure({ mode: 'parallel' });

test('an action after expiry succeeds with exactly one refresh', async ({ page }) => {
  await signUp(page, short);
  await addTodos(page, 'before expiry');
  await settled(page);
  await page.waitForTimeout(EXPIRY_MS);
  const refreshes = countRefreshes(page);
  const refreshed = page.waitForResponse((r) => r.url().endsWith('/api/v1/refresh'));
  await addTodos(page, 'after expiry');
  expect((await refreshed).status()).toBe(200);
  await settled(page);
  expect(refreshes.requests).toBe(1);
  await page.reload();
  await waitForHydration(page);
  await expect(page.locator('.todo-list li label')).toHaveText(['before expiry', 'after expiry']);
});

test('five actions at once after expiry share one refresh and all succeed', async ({ page }) => {
  await withoutLiveStream(page);
  await signUp(page, short);
  await addTodos(page, '1', '2', '3', '4', '5');
  await settled(page);
  await page.waitForTimeout(EXPIRY_MS);
  const refreshes = countRefreshes(page);
  await page.evaluate(() => document.querySelectorAll<HTMLInputElement>('.todo-list .toggle').forEach((t) => t.click()));
  await expect(page.locator('.todo-list li.completed')).toHaveCount(5);
  await settled(page);
  expect(refreshes.requests).toBe(1);
  await page.reload();
  await waitForHydration(page);
  await expect(page.locator('.todo-list li.completed')).toHaveCount(5);
});

test('two tabs acting after expiry cause no sign-out and no reuse detection', async ({ page, context }) => {
  await signUp(page, short);
  await addTodos(page, 'from tab one');
  await settled(page);
  const other = await context.newPage();
  await other.goto(`${short}/`);
  await waitForHydration(other);
  await expect(other.locator('.todo-list li')).toHaveCount(1);
  const before = await storedTokens(context, short);
  const first = countRefreshes(page);
  const second = countRefreshes(other);
  await page.waitForTimeout(EXPIRY_MS);
  // Each tab's write is refused (401), then sent again once its tab has a fresh token;
  // the second tab to refresh waits for the first one's lock. Wait for both final
  // answers, not for a quiet network (which a tab waiting on the lock also is).
  const saved = [page, other].map((tab) =>
    tab.waitForResponse(
      (r) => r.url().endsWith('/api/v1/todos') && r.request().method() === 'POST' && r.status() !== 401,
    ),
  );
  await Promise.all([addTodos(page, 'tab one again'), addTodos(other, 'tab two')]);
  const answers = await Promise.all(saved);
  expect(answers.map((r) => r.status())).toEqual([201, 201]);
  expect([...first.statuses, ...second.statuses].every((s) => s === 200), JSON.stringify([first, second])).toBe(true);
  expect((await storedTokens(context, short)).refresh, 'the tabs refreshed').not.toEqual(before.refresh);
  await expect(page).not.toHaveURL(/login/);
  await expect(other).not.toHaveURL(/login/);
  await page.reload();
  await waitForHydration(page);
  await expect(page.locator('.todo-list li')).toHaveCount(3);
});

test('a session revoked from outside sends the next action to sign-in, and back', async ({ page, context, request }) => {
  // Without the stream, which would sign the tab out before the action (live.spec.ts).
  await withoutLiveStream(page);
  const user = await signUp(page, short);
  await addTodos(page, 'mine');
  await settled(page);
  await page.goto(`${short}/active`);
  await waitForHydration(page);
  // Signed out from elsewhere: the session of this tab's refresh token is revoked.
  const { refresh } = await storedTokens(context, short);
  const revoked = await request.post(`${short}/api/v1/logout`, { data: { refresh_token: refresh } });
  expect(revoked.status(), await revoked.text()).toBe(204);
  const refreshes = countRefreshes(page);
  await addTodos(page, 'after revocation');
  await expect(page).toHaveURL(/\/login\?next=%2Factive/);
  expect(refreshes.requests, 'a revoked session is not worth a refresh').toBe(0);
  await signIn(page, user);
  await expect(page).toHaveURL(`${short}/active`);
  await expect(page.locator('.todo-list li label').first()).toHaveText('mine');
});

test('signing out in one tab signs out the other', async ({ page, context }) => {
  await signUp(page, short);
  const other = await context.newPage();
  await other.goto(`${short}/`);
  await waitForHydration(other);
  await expect(other.locator('.new-todo')).toBeVisible();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(other).toHaveURL(/\/login/);
  await expect(other.getByRole('link', { name: 'Sign in' })).toBeVisible();
});

test('a visible tab renews a one-minute token before it expires, with no request failing', async ({ page, context }) => {
  test.setTimeout(120_000);
  const minute = process.env.MINUTE_TOKENS_URL!;
  await signUp(page, minute);
  const before = await storedTokens(context, minute);
  const failures: number[] = [];
  page.on('response', (response) => {
    if (response.status() === 401) failures.push(response.status());
  });
  // Renewal is due a tenth of the lifetime before `exp`: about 54 s after signing in.
  const renewed = await page.waitForResponse((r) => r.url().endsWith('/api/v1/refresh'), { timeout: 70_000 });
  expect(renewed.status()).toBe(200);
  await settled(page);
  const after = await storedTokens(context, minute);
  expect(after.access).not.toEqual(before.access);
  await addTodos(page, 'after renewal');
  await expect(page.locator('.todo-list li label')).toHaveText(['after renewal']);
  expect(failures, 'no request met an expired token').toEqual([]);
});

test('signing in shows in the other tabs', async ({ page, context }) => {
  const user = await signUp(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
  const other = await context.newPage();
  await other.goto('/login');
  await waitForHydration(other);
  await expect(other.getByRole('link', { name: 'Sign in' })).toBeVisible();
  await signIn(page, user);
  await expect(page.locator('.new-todo')).toBeVisible();
  await expect(other.getByRole('button', { name: 'Sign out' })).toBeVisible();
  await expect(other.getByRole('link', { name: user.email })).toBeVisible();
});
