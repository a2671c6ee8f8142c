// Password reset by mail, as a person does it: "Forgot your password?" on the sign-in page,
// the mail (caught by maildev, read through its REST API), the link, a new password, and
// the todo list — while a session on another device is signed out at its next action.
import { Browser, Page, expect } from '@playwright/test';
import {
  test,
  addTodos,
  forgive,
  newUser,
  signIn,
  signUp,
  waitForHydration,
  watchConsole,
} from './fixtures';

const appURL = process.env.MAIL_URL!;
const maildevURL = process.env.MAILDEV_URL!;

type MaildevMail = { to: { address: string }[]; text: string; html: string; subject: string };

/** The reset link of the newest mail to `email`, waiting up to ten seconds for it. */
async function resetLinkFor(email: string, after = 0): Promise<string> {
  let link: string | undefined;
  await expect
    .poll(
      async () => {
        const mails: MaildevMail[] = await (await fetch(`${maildevURL}/email`)).json();
        const mine = mails.filter((m) => m.to.some((to) => to.address === email.toLowerCase()));
        if (mine.length <= after) return undefined;
        const newest = mine[mine.length - 1];
        expect(newest.subject).toBe('Reset your Ticked password');
        link = newest.text.match(/https?:\/\/\S+\/reset-password\?token=[A-Za-z0-9_-]+/)?.[0];
        // The HTML part carries the same link.
        expect(newest.html).toContain(link);
        return link;
      },
      { timeout: 10_000 },
    )
    .toBeTruthy();
  return link!;
}

/** A new browser context (another device), its console watched like the test's own. */
async function anotherDevice(browser: Browser, problems: string[]): Promise<Page> {
  const context = await browser.newContext({ baseURL: appURL });
  const page = await context.newPage();
  watchConsole(page, problems);
  return page;
}

/** Asks for a reset mail through the pages, starting from the sign-in page. */
async function askForReset(page: Page, email: string) {
  await page.goto(`${appURL}/login`);
  await waitForHydration(page);
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await expect(page).toHaveURL(`${appURL}/forgot-password`);
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await expect(page.getByRole('status')).toContainText('If an account exists for');
}

test('a forgotten password is replaced through the mailed link, and other devices are signed out', async ({
  page,
  browser,
  consoleProblems,
}) => {
  // The user's laptop, signed in with a todo.
  const user = await signUp(page, appURL);
  await addTodos(page, 'kept through the reset');
  await expect(page.getByText('kept through the reset')).toBeVisible();

  // On their phone, they forgot the password.
  const phone = await anotherDevice(browser, consoleProblems);
  await askForReset(phone, user.email);
  const link = await resetLinkFor(user.email);
  expect(link.startsWith(`${appURL}/reset-password?token=`)).toBe(true);

  await phone.goto(link);
  await waitForHydration(phone);
  await phone.getByLabel('New password').fill('a brand new password');
  await phone.getByRole('button', { name: 'Set password and sign in' }).click();
  await expect(phone).toHaveURL(`${appURL}/`);
  await expect(phone.locator('.new-todo')).toBeVisible();
  await expect(phone.getByText('kept through the reset')).toBeVisible();

  // The laptop's session was revoked: its stream signs it out at once (seconds, page
  // load included, where its access token would last minutes).
  await expect(page).toHaveURL(/\/login/, { timeout: 3_000 });

  // The old password is gone, the new one works.
  await waitForHydration(page);
  await signIn(page, user);
  await expect(page.getByRole('alert')).toContainText('Incorrect email or password');
  forgive(consoleProblems, /status of 401/);
  await signIn(page, { email: user.email, password: 'a brand new password' });
  await expect(page.locator('.new-todo')).toBeVisible();
});

test('a used link says so and offers a new one', async ({ page, browser, consoleProblems }) => {
  const user = await signUp(page, appURL);
  const other = await anotherDevice(browser, consoleProblems);
  await askForReset(other, user.email);
  const link = await resetLinkFor(user.email);
  for (const attempt of [1, 2]) {
    await other.goto(link);
    await waitForHydration(other);
    await other.getByLabel('New password').fill(`new password number ${attempt}`);
    await other.getByRole('button', { name: 'Set password and sign in' }).click();
    if (attempt === 1) await expect(other.locator('.new-todo')).toBeVisible();
  }
  await expect(other.getByRole('alert')).toContainText('expired or was already used');
  forgive(consoleProblems, /status of 400/);
  await other.getByRole('link', { name: 'Send me a new link' }).click();
  await expect(other).toHaveURL(`${appURL}/forgot-password`);
});

test('asking for an unknown email says the same as for an account, and mails nothing', async ({
  page,
}) => {
  const user = newUser();
  const registered = await fetch(`${appURL}/api/v1/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(user),
  });
  expect(registered.status).toBe(201);
  const nobody = `nobody-${Date.now()}@example.com`;
  const said: string[] = [];
  for (const email of [nobody, user.email]) {
    await askForReset(page, email);
    said.push((await page.getByRole('status').innerText()).replace(email, '<email>'));
  }
  expect(said[0]).toBe(said[1]);
  // Requests are mailed in order: once the account's mail is here, the unknown address
  // has been handled, and got nothing.
  await resetLinkFor(user.email);
  const mails: MaildevMail[] = await (await fetch(`${maildevURL}/email`)).json();
  expect(mails.some((m) => m.to.some((to) => to.address === nobody))).toBe(false);
});
