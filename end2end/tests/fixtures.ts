// The `test` every spec uses: it fails a test whose page logged an error or warning
// (a CSP violation, a hydration mismatch, a 404 for an asset) or threw.
import { test as base, expect, Page, BrowserContext } from '@playwright/test';
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

type Fixtures = { consoleProblems: string[] };

/** The browser's own log line for a 401 that the API client then handled by refreshing. */
const HANDLED_401 = /Failed to load resource: the server responded with a status of 401/;

export const test = base.extend<Fixtures>({
  consoleProblems: [
    async ({ context }, use) => {
      const problems: string[] = [];
      context.on('page', (page) => watchConsole(page, problems));
      for (const page of context.pages()) watchConsole(page, problems);
      await use(problems);
      expect(problems, 'console errors and warnings').toEqual([]);
    },
    { auto: true },
  ],
});

/** Records console errors and warnings, uncaught exceptions and CSP violations of `page`. */
export function watchConsole(page: Page, problems: string[]) {
  trackApiCalls(page);
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      if (!HANDLED_401.test(message.text())) problems.push(`${message.type()}: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
}

/** Drops the console lines a test provoked on purpose (a refused request, say). */
export function forgive(problems: string[], expected: RegExp) {
  problems.splice(0, problems.length, ...problems.filter((p) => !expected.test(p)));
}

/** Waits until the WASM bundle has hydrated the server-rendered page. */
export async function waitForHydration(page: Page) {
  await expect(page.locator('.app[data-hydrated="true"]')).toBeAttached();
}

let counter = 0;

/** A fresh user's credentials. */
export function newUser() {
  counter += 1;
  const id = `${Date.now()}-${process.pid}-${counter}-${Math.floor(Math.random() * 1e9)}`;
  return { email: `e2e-${id}@example.com`, password: `password-${id}` };
}

/** Registers a fresh user through the UI and waits for their (empty) todo list. */
export async function signUp(page: Page, baseURL?: string) {
  const user = newUser();
  await page.goto(`${baseURL ?? ''}/register`);
  await waitForHydration(page);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.locator('.new-todo')).toBeVisible();
  return user;
}

/** Signs in through the UI on the current sign-in page. */
export async function signIn(page: Page, user: { email: string; password: string }) {
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * Keeps the page's live stream from opening: its request is never answered (the client
 * gives up after 10 s and tries again later). For tests of the request path on its own:
 * the stream would otherwise renew an expiring token itself, and sign a revoked session
 * out before the action under test. Call before the page signs in.
 */
export async function withoutLiveStream(page: Page) {
  await page.route('**/api/v1/events', () => undefined);
}

/** Adds todos through the new-todo input. */
export async function addTodos(page: Page, ...titles: string[]) {
  const input = page.locator('.new-todo');
  for (const title of titles) {
    await input.fill(title);
    await input.press('Enter');
  }
}

/** How many API calls each page has in flight, and when that last changed. */
const apiActivity = new WeakMap<Page, { inFlight: number; changedAt: number }>();

function trackApiCalls(page: Page) {
  if (apiActivity.has(page)) return;
  const activity = { inFlight: 0, changedAt: Date.now() };
  apiActivity.set(page, activity);
  // The live stream is open for as long as the page is: it is not a call in flight.
  const isApi = (url: string) => url.includes('/api/') && !url.includes('/api/v1/events');
  const change = (delta: number) => {
    activity.inFlight += delta;
    activity.changedAt = Date.now();
  };
  page.on('request', (request) => isApi(request.url()) && change(1));
  page.on('requestfinished', (request) => isApi(request.url()) && change(-1));
  page.on('requestfailed', (request) => isApi(request.url()) && change(-1));
}

/** Long enough for a refused call to lead to the next one: its refresh, or its retry
 * once another tab's refresh lock is free (the client holds it 250 ms after storing). */
const QUIET_MS = 600;

/**
 * Waits until the page has no API call in flight and has started none for a while, so
 * that a 401, its refresh and the retried call have all finished (and a reload cannot
 * cut a write off). `networkidle` cannot tell this: once a page has reached it, waiting
 * for it again returns at once.
 */
export async function settled(page: Page) {
  const activity = apiActivity.get(page);
  if (!activity) throw new Error('settled() on a page the fixtures do not watch');
  await expect
    .poll(() => activity.inFlight === 0 && Date.now() - activity.changedAt >= QUIET_MS, {
      message: 'API calls still in flight',
      timeout: 15_000,
      intervals: [50],
    })
    .toBe(true);
}

export async function storedTokens(context: BrowserContext, origin: string) {
  const state = await context.storageState();
  const storage = state.origins.find((o) => o.origin === origin)?.localStorage ?? [];
  const get = (name: string) => storage.find((item) => item.name === name)?.value;
  return { access: get('ticked.access_token'), refresh: get('ticked.refresh_token') };
}

/** A `ticked` process of the test's own, on its own port and data, that can be restarted. */
export class RestartableServer {
  readonly url: string;
  private process?: ChildProcess;
  private readonly dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticked-e2e-restart-'));

  constructor(private readonly port: number) {
    this.url = `http://127.0.0.1:${port}`;
  }

  async start() {
    const root = path.resolve(__dirname, '../..');
    this.process = spawn(process.env.TICKED_BIN ?? path.join(root, 'target/release/ticked'), [], {
      cwd: root,
      stdio: 'ignore',
      env: {
        ...process.env,
        LEPTOS_SITE_ADDR: `127.0.0.1:${this.port}`,
        LEPTOS_SITE_ROOT: path.join(root, 'target/site'),
        DATA_DIR: this.dataDir,
        BCRYPT_COST: '4',
        RUST_LOG: 'warn',
      },
    });
    await expect
      .poll(async () => fetch(`${this.url}/readyz`).then((r) => r.status, () => 0), { timeout: 30_000 })
      .toBe(200);
  }

  async stop() {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

export { expect };
