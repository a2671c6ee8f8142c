// Loads Ticked's pages in headless Chromium and prints, as JSON:
// - `timings`: how long each load of the todo page (signed in through localStorage, as the
//   app itself would be) took to hydrate and to show the user's todos, in milliseconds
//   from navigation; every load gets a fresh browser context, so nothing comes from a cache;
// - `weights`: for each page, every response of a first visit with the bytes that crossed
//   the wire for it (headers and the body as encoded, with `Accept-Encoding: br`), and the
//   bundle requests that a second visit in the same context still sent to the network;
// - `navigations`: in one signed-in context, how long a click on the header's link to the
//   account page took until its sessions were listed, and a click on "Ticked" back to the
//   todo page until its todos were, in milliseconds: moving between pages once the
//   bundle is in the browser's cache.
// Run by `ticked-bench`.
const { chromium } = require('@playwright/test');

const config = JSON.parse(process.argv[2]);

/** Runs in the page before any of its scripts: records when each milestone is reached. */
function watchMilestones({ accessToken, refreshToken, expectedTodos }) {
  localStorage.setItem('ticked.access_token', accessToken);
  localStorage.setItem('ticked.refresh_token', refreshToken);
  const marks = {};
  window.__tickedBench = marks;
  const check = () => {
    if (marks.hydrated === undefined && document.querySelector('.app[data-hydrated="true"]')) {
      marks.hydrated = performance.now();
    }
    if (
      marks.hydrated !== undefined &&
      marks.interactive === undefined &&
      document.querySelectorAll('.todo-list li').length >= expectedTodos
    ) {
      marks.interactive = performance.now();
    }
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true });
}

/** A fresh browser context whose pages start signed in as the benchmark's user, and
 * record their milestones (interactive once `expectedTodos` todos are shown). */
async function signedInContext(browser, expectedTodos) {
  const context = await browser.newContext();
  await context.addInitScript(watchMilestones, {
    accessToken: config.accessToken,
    refreshToken: config.refreshToken,
    expectedTodos,
  });
  return context;
}

/** Records each response's wire bytes through the DevTools protocol, which, unlike
 * Playwright's own events, says whether a response came from the browser's cache. */
async function recordTraffic(context, page) {
  const cdp = await context.newCDPSession(page);
  const requests = new Map();
  cdp.on('Network.requestWillBeSent', (e) => {
    requests.set(e.requestId, { url: e.request.url, bytes: 0, cached: false, finished: false });
  });
  cdp.on('Network.requestServedFromCache', (e) => {
    const request = requests.get(e.requestId);
    if (request) request.cached = true;
  });
  cdp.on('Network.responseReceived', (e) => {
    const request = requests.get(e.requestId);
    if (request && (e.response.fromDiskCache || e.response.fromPrefetchCache)) {
      request.cached = true;
    }
  });
  cdp.on('Network.loadingFinished', (e) => {
    const request = requests.get(e.requestId);
    if (request) {
      request.bytes = e.encodedDataLength;
      request.finished = true;
    }
  });
  await cdp.send('Network.enable');
  return {
    /** What the visit so far fetched, keyed by path; then starts a new visit. */
    take() {
      const taken = [...requests.values()]
        .filter((r) => r.finished || r.cached)
        .map((r) => ({ path: new URL(r.url).pathname, bytes: r.cached ? 0 : r.bytes, cached: r.cached }));
      requests.clear();
      return taken;
    },
  };
}

/** A first and a second visit of one page in one fresh context. */
async function weigh(browser, { name, path, signedIn }) {
  const context = signedIn ? await signedInContext(browser, 0) : await browser.newContext();
  const page = await context.newPage();
  const traffic = await recordTraffic(context, page);
  const visit = async () => {
    await page.goto(`${config.baseUrl}${path}`);
    await page.waitForSelector('.app[data-hydrated="true"]', { timeout: 30_000 });
    // Not 'networkidle': the live-update stream of a signed-in page never ends. Half a
    // second after hydration catches the stragglers (the icon).
    await page.waitForTimeout(500);
    return traffic.take();
  };
  const first = await visit();
  // A later visit from another page, as a person would come back: a navigation, not a reload.
  await page.goto('about:blank');
  traffic.take();
  const second = await visit();
  await context.close();
  return { name, path, first, second };
}

/** Waits until the page is hydrated and `selector` matches at least `count` elements. */
async function waitForShown(page, selector, count) {
  await page.waitForFunction(
    ({ selector, count }) =>
      document.querySelector('.app[data-hydrated="true"]') !== null &&
      document.querySelectorAll(selector).length >= count,
    { selector, count },
    { timeout: 30_000 },
  );
}

/** Moves from the todo page to the account page and back, `config.loads` times. */
async function navigate(browser) {
  const context = await signedInContext(browser, config.expectedTodos);
  const page = await context.newPage();
  await page.goto(`${config.baseUrl}/`);
  await waitForShown(page, '.todo-list li', config.expectedTodos);
  const navigations = [];
  // Once there and back unmeasured: the account page's own bundle comes into the cache.
  await page.locator('.user-email').click();
  await waitForShown(page, '.sessions li', 1);
  await page.locator('a.brand').click();
  await waitForShown(page, '.todo-list li', config.expectedTodos);
  for (let i = 0; i < config.loads; i += 1) {
    let start = Date.now();
    await page.locator('.user-email').click();
    await waitForShown(page, '.sessions li', 1);
    const toAccount = Date.now() - start;
    start = Date.now();
    await page.locator('a.brand').click();
    await waitForShown(page, '.todo-list li', config.expectedTodos);
    navigations.push({ toAccount, toTodos: Date.now() - start });
  }
  await context.close();
  return navigations;
}

async function main() {
  const browser = await chromium.launch({
    executablePath: config.chromium,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const timings = [];
  const weights = [];
  let navigations = [];
  try {
    for (const target of config.pages) {
      weights.push(await weigh(browser, target));
    }
    for (let i = 0; i < config.loads; i += 1) {
      const context = await signedInContext(browser, config.expectedTodos);
      const page = await context.newPage();
      await page.goto(`${config.baseUrl}/`);
      await page.waitForFunction(() => window.__tickedBench.interactive !== undefined, null, {
        timeout: 30_000,
      });
      timings.push(await page.evaluate(() => window.__tickedBench));
      await context.close();
    }
    navigations = await navigate(browser);
  } finally {
    await browser.close();
  }
  process.stdout.write(`${JSON.stringify({ timings, weights, navigations })}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
