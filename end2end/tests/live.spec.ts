// Live updates: two browser contexts are two devices of one user (separate storage,
// separate sign-ins). What one does shows on the other within a second, through the
// stream of GET /api/v1/events, whatever the tokens and the server do meanwhile.
import { Browser, Page, Response } from '@playwright/test';
import {
  test,
  expect,
  signUp,
  signIn,
  addTodos,
  settled,
  waitForHydration,
  watchConsole,
  forgive,
  RestartableServer,
} from './fixtures';

/** The longest a change may take to show on the other device. */
const LIVE_MS = 1_000;
const short = process.env.SHORT_TOKENS_URL!;

const isStream = (response: Response) =>
  new URL(response.url()).pathname === '/api/v1/events' && response.status() === 200;

/** The todo page reading its list. */
const isListRead = (response: Response) =>
  new URL(response.url()).pathname === '/api/v1/todos' && response.request().method() === 'GET';

/** A second device of `user`: a context of its own, signed in on the todo page, with its
 * stream open. */
async function secondDevice(
  browser: Browser,
  problems: string[],
  user: { email: string; password: string },
  baseURL: string,
) {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  watchConsole(page, problems);
  await page.goto('/login');
  await waitForHydration(page);
  const opened = page.waitForResponse(isStream);
  await signIn(page, user);
  await expect(page.locator('.new-todo')).toBeVisible();
  await opened;
  return page;
}

/** Signs a fresh user up on `page` and waits for its stream to open. */
async function firstDevice(page: Page, baseURL?: string) {
  const opened = page.waitForResponse(isStream);
  const user = await signUp(page, baseURL);
  await opened;
  return user;
}

/** Runs `action` on a page and waits for the API write it causes to be answered. */
async function write(page: Page, method: string, action: () => Promise<void>) {
  const answered = page.waitForResponse(
    (r) => r.url().includes('/api/v1/todos') && r.request().method() === method && r.ok(),
  );
  await action();
  await answered;
}

const titles = (page: Page) => page.locator('.todo-list li label');

test('each TodoMVC action on one device shows on the other within a second', async ({
  page: laptop,
  browser,
  baseURL,
  consoleProblems,
}) => {
  const user = await firstDevice(laptop);
  const phone = await secondDevice(browser, consoleProblems, user, baseURL!);
  // A change to one todo comes with the todo (or its id), and a device at rest applies it
  // as it is, without reading its list again. (It reads the list for the bulk changes,
  // for an event it could not read, and around its own writes.) So a broken reader
  // cannot hide behind a page that reloads and looks right.
  const listReads: string[] = [];
  phone.on('response', (r) => {
    if (isListRead(r)) listReads.push(r.url());
  });
  await phone.waitForTimeout(500); // the list's first reads, as the page opened
  listReads.length = 0;

  await write(laptop, 'POST', () => addTodos(laptop, 'buy milk'));
  await expect(titles(phone)).toHaveText(['buy milk'], { timeout: LIVE_MS });
  expect(listReads).toEqual([]);

  await write(phone, 'POST', () => addTodos(phone, 'walk the dog'));
  await expect(titles(laptop)).toHaveText(['buy milk', 'walk the dog'], { timeout: LIVE_MS });

  await write(laptop, 'PATCH', () => laptop.locator('.todo-list li .toggle').first().check());
  await expect(phone.locator('.todo-list li').first()).toHaveClass(/completed/, { timeout: LIVE_MS });

  await laptop.locator('.todo-list li label').nth(1).dblclick();
  await write(laptop, 'PATCH', async () => {
    await laptop.locator('.todo-list li .edit').nth(1).fill('walk the cat');
    await laptop.locator('.todo-list li .edit').nth(1).press('Enter');
  });
  await expect(titles(phone)).toHaveText(['buy milk', 'walk the cat'], { timeout: LIVE_MS });

  await write(phone, 'PATCH', () => phone.locator('.toggle-all').check());
  await expect(laptop.locator('.todo-list li.completed')).toHaveCount(2, { timeout: LIVE_MS });

  await write(laptop, 'PATCH', () => laptop.locator('.todo-list li .toggle').first().uncheck());
  await expect(phone.locator('.todo-list li.completed')).toHaveCount(1, { timeout: LIVE_MS });

  await write(phone, 'DELETE', () => phone.locator('.clear-completed').click());
  await expect(titles(laptop)).toHaveText(['buy milk'], { timeout: LIVE_MS });

  await laptop.locator('.todo-list li').first().hover();
  // The bulk changes above may still be re-reading the phone's list: let them finish.
  await expect(titles(phone)).toHaveText(['buy milk']);
  await phone.waitForTimeout(500);
  listReads.length = 0;
  await write(laptop, 'DELETE', () => laptop.locator('.todo-list li .destroy').first().click());
  await expect(phone.locator('.todo-list li')).toHaveCount(0, { timeout: LIVE_MS });
  expect(listReads).toEqual([]);
  await expect(phone.locator('.main')).toBeHidden();

  // A device's own writes come back on its stream too, and are not applied twice.
  await write(laptop, 'POST', () => addTodos(laptop, 'one', 'two', 'three'));
  await expect(titles(phone)).toHaveText(['one', 'two', 'three'], { timeout: LIVE_MS });
  await settled(laptop);
  await laptop.waitForTimeout(500);
  await expect(titles(laptop)).toHaveText(['one', 'two', 'three']);
  await phone.context().close();
});

test('a todo being edited is not changed under the cursor; the edit ends on the other device’s title', async ({
  page: laptop,
  browser,
  baseURL,
  consoleProblems,
}) => {
  const user = await firstDevice(laptop);
  await write(laptop, 'POST', () => addTodos(laptop, 'draft'));
  const phone = await secondDevice(browser, consoleProblems, user, baseURL!);
  await expect(titles(phone)).toHaveText(['draft']);

  await phone.locator('.todo-list li label').dblclick();
  const editor = phone.locator('.todo-list li .edit');
  await editor.fill('draft, half typed');

  await laptop.locator('.todo-list li label').dblclick();
  await write(laptop, 'PATCH', async () => {
    await laptop.locator('.todo-list li .edit').fill('final');
    await laptop.locator('.todo-list li .edit').press('Enter');
  });
  await phone.waitForTimeout(LIVE_MS);
  await expect(editor).toBeFocused();
  await expect(editor).toHaveValue('draft, half typed');

  // Escape gives the edit up: the phone now shows what the laptop saved.
  await editor.press('Escape');
  await expect(titles(phone)).toHaveText(['final']);
  await phone.context().close();
});

test('signing out everywhere on one device sends the other to sign in within a second', async ({
  page: laptop,
  browser,
  baseURL,
  consoleProblems,
}) => {
  const user = await firstDevice(laptop);
  const phone = await secondDevice(browser, consoleProblems, user, baseURL!);
  await phone.goto('/active');
  await waitForHydration(phone);

  await laptop.goto('/account');
  await waitForHydration(laptop);
  const revoked = laptop.waitForResponse(
    (r) => r.url().endsWith('/api/v1/sessions') && r.request().method() === 'DELETE',
  );
  await laptop.getByRole('button', { name: 'Sign out everywhere' }).click();
  expect((await revoked).status()).toBe(204);
  // No request of the phone's own gets it there: the stream's session_revoked does.
  await expect(phone).toHaveURL(/\/login\?next=%2Factive$/, { timeout: LIVE_MS });
  const stored = await phone.evaluate(() => localStorage.getItem('ticked.refresh_token'));
  expect(stored).toBeNull();
  await phone.context().close();
});

test('with 2-second access tokens and no grace, the stream outlives many expiries and misses nothing', async ({
  page: laptop,
  browser,
  consoleProblems,
}) => {
  test.setTimeout(60_000);
  const user = await firstDevice(laptop, short);
  const phone = await secondDevice(browser, consoleProblems, user, short);
  const refusals: string[] = [];
  for (const page of [laptop, phone]) {
    page.on('response', async (response) => {
      if (response.url().endsWith('/api/v1/refresh') && response.status() !== 200) {
        refusals.push(`${response.status()} ${await response.text().catch(() => '')}`);
      }
    });
  }
  const expected: string[] = [];
  // About twelve seconds: six expiries of each device's token, each followed by a
  // reconnection of its stream, with writes from both sides in between.
  for (let i = 1; i <= 8; i += 1) {
    const [from, to] = i % 2 ? [laptop, phone] : [phone, laptop];
    const title = `change ${i}`;
    expected.push(title);
    await write(from, 'POST', () => addTodos(from, title));
    await expect(titles(to)).toHaveText(expected, { timeout: LIVE_MS });
    await from.waitForTimeout(1_500);
  }
  await expect(laptop).toHaveURL(new RegExp(`^${short}/$`));
  await expect(phone).toHaveURL(new RegExp(`^${short}/$`));
  expect(refusals).toEqual([]);
  await phone.context().close();
});

test('the server restarted mid-stream: the stream comes back and replays what it missed', async ({
  page: laptop,
  browser,
  consoleProblems,
}) => {
  test.setTimeout(90_000);
  const server = new RestartableServer(Number(process.env.E2E_PORT ?? 3100) + 11);
  await server.start();
  try {
    const user = await firstDevice(laptop, server.url);
    const phone = await secondDevice(browser, consoleProblems, user, server.url);
    await write(laptop, 'POST', () => addTodos(laptop, 'before'));
    await expect(titles(phone)).toHaveText(['before'], { timeout: LIVE_MS });

    // The phone's stream is held on its way back until the laptop has written, so the
    // change can only reach it by replay from Last-Event-ID.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await phone.route('**/api/v1/events', async (route) => {
      await held;
      await route.continue().catch(() => undefined);
    });
    await server.stop();
    await server.start();
    await write(laptop, 'POST', () => addTodos(laptop, 'during'));
    const replayed = phone.waitForResponse(
      (r) => isStream(r) && r.request().headers()['last-event-id'] !== undefined,
    );
    release();
    await replayed;
    await expect(titles(phone)).toHaveText(['before', 'during'], { timeout: LIVE_MS });
    await write(laptop, 'POST', () => addTodos(laptop, 'after'));
    await expect(titles(phone)).toHaveText(['before', 'during', 'after'], { timeout: LIVE_MS });
    await expect(phone.locator('.new-todo')).toBeVisible();
    await phone.context().close();
  } finally {
    await server.stop();
    // Each stop cuts the open streams off mid-body, which the browser logs.
    forgive(consoleProblems, /Failed to load resource|net::ERR_/);
  }
});
