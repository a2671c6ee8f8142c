// Loads Ticked's todo page in headless Chromium, signed in through localStorage as the
// app itself would be, and prints how long each load took to hydrate and to show the
// user's todos, in milliseconds from navigation, as JSON. Run by `ticked-bench`; every
// load gets a fresh browser context, so nothing comes from a cache.
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
  try {
    for (let i = 0; i < config.loads; i += 1) {
      const context = await browser.newContext();
      await context.addInitScript(watchMilestones, {
        accessToken: config.accessToken,
        refreshToken: config.refreshToken,
        expectedTodos: config.expectedTodos,
      });
      const page = await context.newPage();
      await page.goto(config.url);
      await page.waitForFunction(() => window.__tickedBench.interactive !== undefined, null, {
        timeout: 30_000,
      });
      timings.push(await page.evaluate(() => window.__tickedBench));
      await context.close();
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(`${JSON.stringify(timings)}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
