// The README's screenshots, taken from the real app. `make screenshots` writes them to
// docs/; an ordinary run takes them too (into test-results/) so the flow stays tested.
import path from 'node:path';
import { test, expect, signUp, addTodos, settled } from './fixtures';

const target = (name: string) =>
  process.env.UPDATE_SCREENSHOTS
    ? path.join(__dirname, '..', '..', 'docs', name)
    : test.info().outputPath(name);

test('screenshots of the todo page and the account page', async ({ page }) => {
  await page.setViewportSize({ width: 900, height: 640 });
  await signUp(page);
  await addTodos(page, 'Read the refresh-token rotation notes', 'Buy oat milk', 'Book the dentist', 'Water the plants');
  await page.locator('.todo-list li').nth(1).locator('.toggle').check();
  await settled(page);
  await expect(page.locator('.todo-count')).toHaveText('3 items left');
  await page.locator('.new-todo').blur();
  await page.screenshot({ path: target('screenshot-todos.png') });

  await page.getByRole('link', { name: /@example\.com/ }).click();
  await expect(page.locator('.sessions li.current')).toHaveCount(1);
  await page.screenshot({ path: target('screenshot-account.png'), fullPage: true });
});
