// The bundles and their caching: each kind of page loads its own bundle; hashed names
// kept for a year, precompressed brotli on the wire, pages and the API never cached that
// way, and a second visit that loads no code.
import { test, expect, waitForHydration, signUp, addTodos, forgive } from './fixtures';

/** The bundle files a page points to, from its `<link>` tags. */
async function bundleOf(page: import('@playwright/test').Page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('link[href^="/pkg/"]')].map((l) => l.getAttribute('href')!),
  );
}

test('the bundle has hashed names, is sent precompressed and is kept for a year', async ({
  page,
  request,
}) => {
  const document = await page.goto('/login');
  expect(document?.headers()['cache-control']).toBe('no-cache');
  await waitForHydration(page);

  const files = await bundleOf(page);
  expect(files.map((f) => f.replace(/^.*\./, '')).sort()).toEqual(['css', 'js', 'wasm']);
  for (const file of files) {
    // cargo-leptos's content hash between the name and the extension.
    expect(file).toMatch(/^\/pkg\/ticked(-signed-out|-account)?\.[A-Za-z0-9_-]{8,}\.(js|wasm|css)$/);
    for (const encoding of ['br', 'gzip']) {
      const response = await request.get(file, { headers: { 'Accept-Encoding': encoding } });
      expect(response.status(), file).toBe(200);
      const headers = response.headers();
      expect(headers['cache-control'], file).toBe('public, max-age=31536000, immutable');
      expect(headers['content-encoding'], file).toBe(encoding);
      expect(headers['vary'], file).toContain('accept-encoding');
    }
  }

  // A name that is not (yet) there must not be kept.
  const missing = await request.get('/pkg/ticked.0000000000000000.wasm');
  expect(missing.status()).toBe(404);
  expect(missing.headers()['cache-control']).toBe('no-cache');

  const api = await request.get('/api/v1/users/me');
  expect(api.status()).toBe(401);
  expect(api.headers()['cache-control']).toBe('no-store');
});

test('the signed-out pages, the todo list and the account page each load their own bundle', async ({
  page,
  consoleProblems,
}) => {
  // Every WASM module the page fetches, by name without its content hash.
  const modules: string[] = [];
  page.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    if (path.endsWith('.wasm')) modules.push(path.replace(/\.[^.]+\.wasm$/, '.wasm'));
  });
  const visit = async (path: string) => {
    modules.length = 0;
    await page.goto(path);
    // Hydrated, with no warning of an island the module lacks (the fixture fails the
    // test on any console warning, and Leptos's loader writes one for each).
    await waitForHydration(page);
    return [...new Set(modules)];
  };

  for (const path of ['/login', '/register', '/forgot-password', '/reset-password?token=x']) {
    expect(await visit(path), path).toEqual(['/pkg/ticked-signed-out.wasm']);
  }
  // Signing up moves to the todo list: the other bundle.
  const user = await signUp(page);
  expect(new Set(modules)).toEqual(new Set(['/pkg/ticked-signed-out.wasm', '/pkg/ticked.wasm']));
  await addTodos(page, 'Works on the other bundle');
  await expect(page.locator('.todo-list li')).toHaveCount(1);
  const bundles: [string, string][] = [
    ['/', '/pkg/ticked.wasm'],
    ['/active', '/pkg/ticked.wasm'],
    ['/completed', '/pkg/ticked.wasm'],
    ['/account', '/pkg/ticked-account.wasm'],
  ];
  for (const [path, module] of bundles) {
    expect(await visit(path), path).toEqual([module]);
    // The header reads the signed-in user in every bundle.
    await expect(page.locator('.user-email'), path).toHaveText(user.email);
  }
  // The account page works in its own bundle: its list of sessions is this one.
  await expect(page.locator('.sessions li')).toHaveCount(1);
  expect(await visit('/login')).toEqual(['/pkg/ticked-signed-out.wasm']);
  await expect(page.locator('.user-email')).toHaveText(user.email);
  // A path no page has: the page every page is in, and the main bundle.
  expect(await visit('/nowhere')).toEqual(['/pkg/ticked.wasm']);
  forgive(consoleProblems, /status of 404/);
});

test('a second visit loads no script, WASM or style from the network', async ({ page, context }) => {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const fromNetwork: string[] = [];
  const fromCache = new Set<string>();
  const urls = new Map<string, string>();
  cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, new URL(e.request.url).pathname));
  cdp.on('Network.requestServedFromCache', (e) => fromCache.add(e.requestId));
  cdp.on('Network.responseReceived', (e) => {
    const path = urls.get(e.requestId) ?? '';
    if (!path.startsWith('/pkg/')) return;
    if (e.response.fromDiskCache || e.response.fromPrefetchCache || fromCache.has(e.requestId)) return;
    fromNetwork.push(path);
  });

  await page.goto('/login');
  await waitForHydration(page);
  const bundle = await bundleOf(page);
  // The first visit fetched every file (the style, the JS, the WASM it loads).
  await expect.poll(() => new Set(fromNetwork).size).toBe(bundle.length);

  fromNetwork.length = 0;
  // Back later, through a link from elsewhere: a navigation, not a reload.
  await page.goto('about:blank');
  await page.goto('/register');
  await waitForHydration(page);
  expect(await bundleOf(page)).toEqual(bundle);
  expect(fromNetwork).toEqual([]);
});
