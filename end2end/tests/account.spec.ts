// The account page: password, sessions, deletion.
import { test, expect, signUp, signIn, waitForHydration, newUser, forgive } from './fixtures';

test('shows the email and the sessions, this device marked', async ({ page, browser }) => {
  const user = await signUp(page);
  const elsewhere = await browser.newContext();
  const other = await elsewhere.newPage();
  await other.goto('/login');
  await waitForHydration(other);
  await signIn(other, user);
  await expect(other.locator('.new-todo')).toBeVisible();

  await page.getByRole('link', { name: user.email }).click();
  await expect(page.getByRole('heading', { name: 'Your account' })).toBeVisible();
  await expect(page.locator('.account-email strong')).toHaveText(user.email);
  const sessions = page.locator('.sessions li');
  await expect(sessions).toHaveCount(2);
  await expect(page.locator('.sessions li.current')).toHaveCount(1);
  await expect(page.locator('.sessions li.current .badge')).toHaveText('This device');

  // Signing the other device out cuts it off at once: its stream says so. "At once" is
  // seconds, where waiting for its access token to expire would be minutes; the seconds
  // include loading the sign-in page, which a busy machine can take most of one over.
  await page.locator('.sessions li:not(.current)').getByRole('button', { name: 'Sign out' }).click();
  await expect(sessions).toHaveCount(1);
  await expect(other).toHaveURL(/\/login\?next=%2F/, { timeout: 3_000 });
  await elsewhere.close();
});

test('changing the password keeps this tab signed in', async ({ page, consoleProblems }) => {
  const user = await signUp(page);
  await page.goto('/account');
  await waitForHydration(page);
  await page.getByLabel('Current password').fill('not-the-password');
  await page.getByLabel('New password').fill('a-brand-new-password');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.locator('#current-password-error')).toHaveText('The current password is not right.');
  forgive(consoleProblems, /status of 403/);

  await page.getByLabel('Current password').fill(user.password);
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('status')).toContainText('Password changed');
  await page.goto('/');
  await waitForHydration(page);
  await expect(page.locator('.new-todo')).toBeVisible();
});

test('signing out everywhere ends this session too', async ({ page }) => {
  await signUp(page);
  await page.goto('/account');
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto('/account');
  await expect(page).toHaveURL(/\/login\?next=%2Faccount/);
});

test('deleting the account asks for confirmation and the password', async ({ page }) => {
  const user = await signUp(page);
  await page.goto('/account');
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Delete my account…' }).click();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('button', { name: 'Delete my account…' }).click();
  await page.locator('#delete-password').fill(user.password);
  await page.getByRole('button', { name: 'Delete account for good' }).click();
  await expect(page).toHaveURL(/\/register/);
  await page.goto('/login');
  await waitForHydration(page);
  await signIn(page, user);
  await expect(page.getByRole('alert')).toHaveText('Incorrect email or password.');
});

test('registration errors name the field', async ({ page }) => {
  await page.goto('/register');
  await waitForHydration(page);
  await page.getByLabel('Email').fill('not-an-email');
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.locator('#email-error')).toContainText('Email');
  await expect(page.locator('#password-error')).toContainText('at least 8 characters');
  const taken = newUser();
  await page.getByLabel('Email').fill(taken.email);
  await page.getByLabel('Password').fill(taken.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.locator('.new-todo')).toBeVisible();
});

test('a network failure is shown and signs nobody out', async ({ page, consoleProblems }) => {
  await signUp(page);
  await page.route('**/api/v1/todos', (route) => route.abort('connectionrefused'));
  await page.locator('.new-todo').fill('offline');
  await page.locator('.new-todo').press('Enter');
  await expect(page.getByRole('alert')).toContainText('Cannot reach the server');
  forgive(consoleProblems, /ERR_CONNECTION_REFUSED|ERR_FAILED/);
  await page.unroute('**/api/v1/todos');
  await expect(page).not.toHaveURL(/login/);
  expect(await page.evaluate(() => localStorage.getItem('ticked.refresh_token'))).not.toBeNull();
});
