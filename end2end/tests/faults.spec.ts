// The weather real deployments have: a refresh answered 5xx or never, a server restarted
// mid-session, a dropped create, tabs that race. Nobody may be sent to sign in for any of
// it (only a refused refresh token means that), and nothing may look saved that is not.
import { Page, Route, BrowserContext, APIRequestContext } from '@playwright/test';
import {
  test,
  expect,
  signUp,
  addTodos,
  settled,
  storedTokens,
  waitForHydration,
  forgive,
  RestartableServer,
  withoutLiveStream,
} from './fixtures';

const short = process.env.SHORT_TOKENS_URL!;
const minute = process.env.MINUTE_TOKENS_URL!;
/** Long enough for an access token of the short server to be refused. */
const EXPIRY_MS = 8_000;
/** What the browser logs for the failures these tests cause on purpose. */
const PROVOKED = /Failed to load resource|net::ERR_/;

/** A promise with its resolve, to hold a routed request until the test lets it go. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

/** Lets a routed request go on, unless the page gave up on it already (a timeout). */
async function proceed(route: Route) {
  await route.continue().catch(() => undefined);
}

/** The user's todos as the server has them, read with the page's stored access token. */
async function todosOnServer(request: APIRequestContext, context: BrowserContext, origin: string) {
  const { access } = await storedTokens(context, origin);
  const response = await request.get(`${origin}/api/v1/todos`, { headers: { Authorization: `Bearer ${access}` } });
  expect(response.status()).toBe(200);
  return ((await response.json()).items as { title: string }[]).map((t) => t.title);
}

function row(page: Page, title: string) {
  return page.locator('.todo-list li').filter({ hasText: title });
}

const refreshFaults: [string, (route: Route) => Promise<void>][] = [
  ['a 500', (route) => route.fulfill({ status: 500, json: { detail: 'database blip', code: 'internal' } })],
  ['a 502', (route) => route.fulfill({ status: 502, contentType: 'text/html', body: '<h1>Bad gateway</h1>' })],
  ['a 503', (route) => route.fulfill({ status: 503, contentType: 'text/html', body: '<h1>Deploying</h1>' })],
  ['a dropped connection', (route) => route.abort('connectionreset')],
  ['no answer for 20 s', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    await proceed(route);
  }],
];

test.describe.configure({ mode: 'parallel' });

for (const [fault, answer] of refreshFaults) {
  test(`${fault} from /refresh keeps the user signed in, shows an error, and the next try works`, async ({ page, context, consoleProblems }) => {
    test.setTimeout(60_000);
    await withoutLiveStream(page);
    await signUp(page, short);
    await addTodos(page, 'before the outage');
    await settled(page);
    await page.waitForTimeout(EXPIRY_MS);
    const before = await storedTokens(context, short);
    await page.route('**/api/v1/refresh', answer);

    await addTodos(page, 'during the outage');
    await expect(row(page, 'during the outage')).toHaveClass(/unsaved/, { timeout: 15_000 });
    await expect(row(page, 'during the outage').getByRole('status')).toContainText('Not saved');
    await expect(page.locator('.todo-error')).toBeVisible();
    await expect(page).not.toHaveURL(/login/);
    expect(await storedTokens(context, short), 'the tokens are kept').toEqual(before);

    await page.unroute('**/api/v1/refresh');
    await row(page, 'during the outage').getByRole('button', { name: 'Retry' }).click();
    await expect(row(page, 'during the outage')).not.toHaveClass(/unsaved|saving/);
    await settled(page);
    expect((await storedTokens(context, short)).refresh, 'renewed once the server answered').not.toEqual(before.refresh);
    await page.reload();
    await waitForHydration(page);
    await expect(page.locator('.todo-list li label')).toHaveText(['before the outage', 'during the outage']);
    await expect(page).not.toHaveURL(/login/);
    forgive(consoleProblems, PROVOKED);
  });
}

for (const status of [500, 502, 503]) {
  test(`a ${status} on an ordinary call marks the change not saved until a retry lands`, async ({ page, request, context, consoleProblems }) => {
    await signUp(page);
    const origin = new URL(page.url()).origin;
    await addTodos(page, 'saved');
    await settled(page);
    await page.route('**/api/v1/todos', (route) =>
      route.request().method() === 'POST' ? route.fulfill({ status, body: 'upstream trouble' }) : route.fallback(),
    );
    await addTodos(page, 'refused by a proxy');
    await expect(row(page, 'refused by a proxy')).toHaveClass(/unsaved/);
    await expect(page.locator('.todo-error')).toContainText(`${status}`);
    await settled(page);
    expect(await todosOnServer(request, context, origin)).toEqual(['saved']);

    // Toggling an unsaved todo keeps it unsaved while the server still refuses.
    await row(page, 'refused by a proxy').locator('.toggle').check();
    await expect(row(page, 'refused by a proxy')).toHaveClass(/unsaved/);

    await page.unroute('**/api/v1/todos');
    await page.locator('.todo-error').getByRole('button', { name: 'Retry' }).click();
    await expect(row(page, 'refused by a proxy')).not.toHaveClass(/unsaved|saving/);
    await settled(page);
    expect(await todosOnServer(request, context, origin)).toEqual(['saved', 'refused by a proxy']);
    await page.reload();
    await waitForHydration(page);
    await expect(page.locator('.todo-list li.completed label')).toHaveText(['refused by a proxy']);
    await expect(page).not.toHaveURL(/login/);
    forgive(consoleProblems, PROVOKED);
  });
}

test('a todo added while the network is down is never shown as saved, and can be discarded', async ({ page, request, context, consoleProblems }) => {
  await signUp(page);
  const origin = new URL(page.url()).origin;
  await page.route('**/api/v1/**', (route) => route.abort('internetdisconnected'));
  await addTodos(page, 'written offline', 'given up');
  await expect(row(page, 'written offline')).toHaveClass(/unsaved/);
  await expect(row(page, 'given up')).toHaveClass(/unsaved/);
  await expect(page.locator('.todo-error')).toContainText('Cannot reach the server');
  await expect(page).not.toHaveURL(/login/);

  await page.unroute('**/api/v1/**');
  expect(await todosOnServer(request, context, origin), 'nothing reached the server').toEqual([]);
  await row(page, 'given up').getByRole('button', { name: 'Discard' }).click();
  await expect(row(page, 'given up')).toHaveCount(0);
  await row(page, 'written offline').getByRole('button', { name: 'Retry' }).click();
  await expect(row(page, 'written offline')).not.toHaveClass(/unsaved|saving/);
  await settled(page);
  expect(await todosOnServer(request, context, origin)).toEqual(['written offline']);
  forgive(consoleProblems, PROVOKED);
});

test('a create whose answer was lost is retried without creating it twice', async ({ page, request, context, consoleProblems }) => {
  await signUp(page);
  const origin = new URL(page.url()).origin;
  // The create reaches the server; its answer does not reach the page.
  await page.route('**/api/v1/todos', async (route) => {
    if (route.request().method() !== 'POST') return route.fallback();
    await route.fetch();
    await route.abort('connectionreset');
  });
  await addTodos(page, 'answer lost');
  await expect(row(page, 'answer lost')).toHaveClass(/unsaved/);
  await page.unroute('**/api/v1/todos');
  expect(await todosOnServer(request, context, origin)).toEqual(['answer lost']);

  await row(page, 'answer lost').getByRole('button', { name: 'Retry' }).click();
  await expect(row(page, 'answer lost')).not.toHaveClass(/unsaved|saving/);
  await settled(page);
  expect(await todosOnServer(request, context, origin), 'the retry created nothing more').toEqual(['answer lost']);
  forgive(consoleProblems, PROVOKED);
});

test('a deletion that could not be sent shows the todo again until it is retried', async ({ page, request, context, consoleProblems }) => {
  await signUp(page);
  const origin = new URL(page.url()).origin;
  await addTodos(page, 'to delete', 'to keep');
  await settled(page);
  await page.route('**/api/v1/todos/*', (route) =>
    route.request().method() === 'DELETE' ? route.abort('connectionreset') : route.fallback(),
  );
  await row(page, 'to delete').hover();
  await row(page, 'to delete').getByRole('button', { name: 'Delete' }).click();
  await expect(row(page, 'to delete')).toHaveClass(/unsaved/);
  await expect(row(page, 'to delete').getByRole('status')).toContainText('Not deleted');
  await page.unroute('**/api/v1/todos/*');
  await row(page, 'to delete').getByRole('button', { name: 'Retry' }).click();
  await expect(row(page, 'to delete')).toHaveCount(0);
  await settled(page);
  expect(await todosOnServer(request, context, origin)).toEqual(['to keep']);
  forgive(consoleProblems, PROVOKED);
});

test('a reload of the list keeps a todo whose creation is still on its way', async ({ page, request, context, consoleProblems }) => {
  await signUp(page);
  const origin = new URL(page.url()).origin;
  await addTodos(page, 'first');
  await settled(page);
  const held = gate();
  await page.route('**/api/v1/todos', async (route) => {
    if (route.request().method() !== 'POST') return route.fallback();
    await held.opened;
    await proceed(route);
  });
  await addTodos(page, 'on its way');
  // A refused change makes the page reload the list while the create is held.
  await page.route('**/api/v1/todos/*', (route) =>
    route.request().method() === 'PATCH'
      ? route.fulfill({ status: 404, json: { detail: 'todo not found', code: 'not_found' } })
      : route.fallback(),
  );
  const reloaded = page.waitForResponse((r) => r.url().includes('/api/v1/todos?') && r.request().method() === 'GET');
  // `click`, not `check`: the refusal unticks it again, and `check` would keep clicking.
  await row(page, 'first').locator('.toggle').click();
  await reloaded;
  await expect(page.locator('.todo-error')).toBeVisible();
  // The reload has been applied: the refused toggle is undone.
  await expect(row(page, 'first')).not.toHaveClass(/completed/);
  await expect(page.locator('.todo-list li label')).toHaveText(['first', 'on its way']);

  held.open();
  await expect(row(page, 'on its way')).not.toHaveClass(/unsaved|saving/);
  await settled(page);
  await expect(page.locator('.todo-list li label')).toHaveText(['first', 'on its way']);
  expect(await todosOnServer(request, context, origin)).toEqual(['first', 'on its way']);
  forgive(consoleProblems, /status of 404/);
});

test('a request held back with the old token while another tab changes the password uses the new pair', async ({ page, context }) => {
  const user = await signUp(page);
  const other = await context.newPage();
  await other.goto('/');
  await waitForHydration(other);
  await expect(other.locator('.new-todo')).toBeVisible();

  const held = gate();
  await other.route('**/api/v1/todos', async (route) => {
    if (route.request().method() !== 'POST') return route.fallback();
    await held.opened;
    await proceed(route);
  });
  const saved = other.waitForResponse(
    (r) => r.url().endsWith('/api/v1/todos') && r.request().method() === 'POST' && r.status() === 201,
  );
  await addTodos(other, 'sent with the old token');

  await page.goto('/account');
  await waitForHydration(page);
  await page.getByLabel('Current password').fill(user.password);
  await page.getByLabel('New password').fill('a-brand-new-password');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('status')).toContainText('Password changed');
  const origin = new URL(page.url()).origin;
  const changed = await storedTokens(context, origin);

  held.open();
  await saved;
  await settled(other);
  await expect(other).not.toHaveURL(/login/);
  await expect(page).not.toHaveURL(/login/);
  expect(await storedTokens(context, origin), 'the newest pair is kept').toEqual(changed);
  await other.reload();
  await waitForHydration(other);
  await expect(other.locator('.todo-list li label')).toHaveText(['sent with the old token']);
});

test('signing out while a refresh is on its way leaves no tokens and no live session', async ({ page, context, request }) => {
  await signUp(page, short);
  await addTodos(page, 'before expiry');
  await settled(page);
  await page.waitForTimeout(EXPIRY_MS);
  // The refresh reaches the server (which rotates the pair); its answer is held back.
  const held = gate();
  let issued: string | undefined;
  await page.route('**/api/v1/refresh', async (route) => {
    const response = await route.fetch();
    issued = (await response.json()).refresh_token;
    await held.opened;
    await route.fulfill({ response });
  });
  // The create goes out with the expired token (401); its re-send with the renewed token
  // never gets an answer, so no later refusal can clean up after a pair stored too late.
  const expired = (await storedTokens(context, short)).access;
  await page.route('**/api/v1/todos', async (route) => {
    if (route.request().headers()['authorization'] === `Bearer ${expired}`) return route.fallback();
    await new Promise(() => undefined);
  });
  await addTodos(page, 'after expiry');
  await expect.poll(() => issued, { message: 'the refresh reached the server' }).toBeDefined();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForTimeout(300);
  held.open();

  await expect(page).toHaveURL(/\/login/);
  await page.waitForTimeout(1_000);
  expect(await storedTokens(context, short), 'nothing stored after the sign-out').toEqual({
    access: undefined,
    refresh: undefined,
  });
  const reuse = await request.post(`${short}/api/v1/refresh`, { data: { refresh_token: issued } });
  expect(reuse.status(), 'the session the refresh renewed was signed out').toBe(401);
});

test('a token another tab stored is renewed ahead of its expiry, by this tab too', async ({ page, context, request }) => {
  test.setTimeout(120_000);
  const user = await signUp(page, minute);
  // Another tab signs in afresh and closes: this tab now holds that tab's pair.
  const login = await request.post(`${minute}/api/v1/login`, { data: { email: user.email, password: user.password } });
  expect(login.status()).toBe(200);
  const pair = await login.json();
  const other = await context.newPage();
  await other.goto(`${minute}/login`);
  await other.evaluate(({ access, refresh }) => {
    localStorage.setItem('ticked.refresh_token', refresh);
    localStorage.setItem('ticked.access_token', access);
  }, { access: pair.access_token, refresh: pair.refresh_token });
  await other.close();
  await expect.poll(async () => (await storedTokens(context, minute)).access).toBe(pair.access_token);

  // Due a tenth of the lifetime before `exp`: about 54 s after the other tab's sign-in.
  const renewal = await page.waitForRequest((r) => r.url().endsWith('/api/v1/refresh'), { timeout: 75_000 });
  expect(renewal.postDataJSON().refresh_token).toBe(pair.refresh_token);
  expect((await renewal.response())?.status()).toBe(200);
});

test('restarting the server mid-session signs nobody out and loses nothing', async ({ page, consoleProblems }) => {
  test.setTimeout(90_000);
  const server = new RestartableServer(Number(process.env.E2E_PORT ?? 3100) + 10);
  await server.start();
  try {
    await signUp(page, server.url);
    await addTodos(page, 'before the restart');
    await settled(page);
    await server.stop();

    await addTodos(page, 'while it was down');
    await expect(row(page, 'while it was down')).toHaveClass(/unsaved/);
    await expect(page).not.toHaveURL(/login/);

    await server.start();
    await row(page, 'while it was down').getByRole('button', { name: 'Retry' }).click();
    await expect(row(page, 'while it was down')).not.toHaveClass(/unsaved|saving/);
    await settled(page);
    await page.reload();
    await waitForHydration(page);
    await expect(page.locator('.todo-list li label')).toHaveText(['before the restart', 'while it was down']);
    await expect(page).not.toHaveURL(/login/);
  } finally {
    await server.stop();
  }
  forgive(consoleProblems, PROVOKED);
});