// The TodoMVC behaviour (tastejs/todomvc app-spec.md) on a signed-in user's todos.
import { test, expect, signUp, addTodos, settled, waitForHydration, signIn } from './fixtures';

test.describe('a new user', () => {
  test('lands on an empty list with the input focused and no main or footer', async ({ page }) => {
    await signUp(page);
    await expect(page.locator('.new-todo')).toBeFocused();
    await expect(page.locator('.main')).toHaveCount(0);
    await expect(page.locator('.footer')).toHaveCount(0);
  });
});

test('new todos go at the bottom, trimmed, and the input clears', async ({ page }) => {
  await signUp(page);
  await addTodos(page, '  buy milk  ', 'walk the dog');
  await expect(page.locator('.todo-list li label')).toHaveText(['buy milk', 'walk the dog']);
  await expect(page.locator('.new-todo')).toHaveValue('');
  await page.locator('.new-todo').press('Enter');
  await page.locator('.new-todo').fill('   ');
  await page.locator('.new-todo').press('Enter');
  await expect(page.locator('.todo-list li')).toHaveCount(2);
});

test('the counter says "1 item left" and "2 items left"', async ({ page }) => {
  await signUp(page);
  await addTodos(page, 'one');
  await expect(page.locator('.todo-count')).toHaveText('1 item left');
  await expect(page.locator('.todo-count strong')).toHaveText('1');
  await addTodos(page, 'two');
  await expect(page.locator('.todo-count')).toHaveText('2 items left');
});

test('toggling, toggle-all and clear completed', async ({ page }) => {
  await signUp(page);
  await addTodos(page, 'a', 'b', 'c');
  const items = page.locator('.todo-list li');
  await items.nth(1).locator('.toggle').check();
  await expect(items.nth(1)).toHaveClass(/completed/);
  await expect(page.locator('.todo-count')).toHaveText('2 items left');
  await expect(page.locator('.clear-completed')).toHaveText('Clear completed');

  await page.locator('.toggle-all').check();
  await expect(page.locator('.todo-list li.completed')).toHaveCount(3);
  await expect(page.locator('.todo-count')).toHaveText('0 items left');
  await page.locator('.toggle-all').uncheck();
  await expect(page.locator('.todo-list li.completed')).toHaveCount(0);
  await expect(page.locator('.clear-completed')).toHaveCount(0);

  await items.nth(0).locator('.toggle').check();
  await page.locator('.clear-completed').click();
  await expect(page.locator('.todo-list li label')).toHaveText(['b', 'c']);
});

test('editing: double-click, Enter saves, Escape cancels, blur saves, empty destroys', async ({ page }) => {
  await signUp(page);
  await addTodos(page, 'first', 'second', 'third');
  const first = page.locator('.todo-list li').nth(0);
  await first.locator('label').dblclick();
  await expect(first).toHaveClass(/editing/);
  await expect(first.locator('.edit')).toBeFocused();
  await first.locator('.edit').fill('  first, renamed  ');
  await first.locator('.edit').press('Enter');
  await expect(page.locator('.todo-list li').nth(0).locator('label')).toHaveText('first, renamed');

  // The row focuses its input (caret at the end) on the next frame; typing before that,
  // as no person can, would land in front of the caret move.
  const second = page.locator('.todo-list li').nth(1);
  await second.locator('label').dblclick();
  await expect(second.locator('.edit')).toBeFocused();
  await second.locator('.edit').fill('should not stick');
  await second.locator('.edit').press('Escape');
  await expect(page.locator('.todo-list li').nth(1).locator('label')).toHaveText('second');
  await expect(page.locator('.todo-list li.editing')).toHaveCount(0);

  const third = page.locator('.todo-list li').nth(2);
  await third.locator('label').dblclick();
  await expect(third.locator('.edit')).toBeFocused();
  await third.locator('.edit').fill('third, by blur');
  await page.locator('.new-todo').click();
  await expect(page.locator('.todo-list li').nth(2).locator('label')).toHaveText('third, by blur');

  await page.locator('.todo-list li').nth(1).locator('label').dblclick();
  await expect(page.locator('.todo-list li').nth(1).locator('.edit')).toBeFocused();
  await page.locator('.todo-list li').nth(1).locator('.edit').fill('   ');
  await page.locator('.todo-list li').nth(1).locator('.edit').press('Enter');
  await expect(page.locator('.todo-list li label')).toHaveText(['first, renamed', 'third, by blur']);
});

test('filters by path and by hash, each click a history entry', async ({ page }) => {
  await signUp(page);
  await addTodos(page, 'active one', 'done one');
  await page.locator('.todo-list li').nth(1).locator('.toggle').check();
  await settled(page);

  await page.getByRole('link', { name: 'Active' }).click();
  await expect(page.locator('.todo-list li label')).toHaveText(['active one']);
  await expect(page.getByRole('link', { name: 'Active' })).toHaveClass(/selected/);
  await page.getByRole('link', { name: 'Completed' }).click();
  await expect(page.locator('.todo-list li label')).toHaveText(['done one']);
  await page.goBack();
  await expect(page.locator('.todo-list li label')).toHaveText(['active one']);
  await page.getByRole('link', { name: 'All' }).click();
  await expect(page.locator('.todo-list li')).toHaveCount(2);

  await page.goto('/#/completed');
  await waitForHydration(page);
  await expect(page.locator('.todo-list li label')).toHaveText(['done one']);
  await expect(page.getByRole('link', { name: 'Completed' })).toHaveClass(/selected/);
});

test('a reload keeps everything', async ({ page }) => {
  await signUp(page);
  await addTodos(page, 'kept', 'kept and done');
  await page.locator('.todo-list li').nth(1).locator('.toggle').check();
  await settled(page);
  await page.reload();
  await waitForHydration(page);
  await expect(page.locator('.todo-list li label')).toHaveText(['kept', 'kept and done']);
  await expect(page.locator('.todo-list li').nth(1)).toHaveClass(/completed/);
});

test('signing out and in again', async ({ page }) => {
  const user = await signUp(page);
  await addTodos(page, 'still here');
  await settled(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
  expect(await page.evaluate(() => localStorage.getItem('ticked.refresh_token'))).toBeNull();
  await page.goto('/');
  await expect(page).toHaveURL(/\/login\?next=%2F/);
  await signIn(page, user);
  await expect(page.locator('.todo-list li label')).toHaveText(['still here']);
});

test('sign-in errors are shown and the form keeps working', async ({ page }) => {
  await page.goto('/login');
  await waitForHydration(page);
  await signIn(page, { email: 'nobody@example.com', password: 'wrong-password' });
  await expect(page.getByRole('alert')).toHaveText('Incorrect email or password.');
});

test('the keyboard alone can edit and delete a todo', async ({ page }) => {
  await signUp(page);
  await addTodos(page, 'keyboard', 'other');
  const first = page.locator('.todo-list li').nth(0);
  await first.locator('label').focus();
  await page.keyboard.press('Enter');
  await expect(first).toHaveClass(/editing/);
  await expect(first.locator('.edit')).toBeFocused();
  await page.keyboard.press('End');
  await page.keyboard.type(' only');
  await page.keyboard.press('Enter');
  await expect(page.locator('.todo-list li label').first()).toHaveText('keyboard only');
  await page.locator('.todo-list li').nth(0).locator('.toggle').focus();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await expect(page.locator('.todo-list li').nth(0).locator('.destroy')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('.todo-list li label')).toHaveText(['other']);
});

test('leaving while a change is still on its way is held until it is saved', async ({ page }) => {
  await signUp(page);
  // Slow the server's answer down, so the write is surely still pending at the reload.
  await page.route('**/api/v1/todos', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await route.continue();
  });
  const asked = page.waitForEvent('dialog');
  await addTodos(page, 'typed just before leaving');
  await page.evaluate(() => setTimeout(() => location.reload(), 0));
  const dialog = await asked;
  expect(dialog.type()).toBe('beforeunload');
  await dialog.dismiss();
  await settled(page);
  await page.unroute('**/api/v1/todos');
  await page.reload();
  await waitForHydration(page);
  await expect(page.locator('.todo-list li label')).toHaveText(['typed just before leaving']);
});

test('todos typed in a row keep their order when the first is answered last', async ({ page }) => {
  await signUp(page);
  // Hold the first creation; if the others were sent beside it, the server would store
  // them first and a reload would list them above it.
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  let posts = 0;
  await page.route('**/api/v1/todos', async (route) => {
    if (route.request().method() === 'POST') {
      posts += 1;
      if (posts === 1) await held;
    }
    await route.continue();
  });
  await addTodos(page, 'first', 'second', 'third');
  await expect(page.locator('.todo-list li label')).toHaveText(['first', 'second', 'third']);
  await page.waitForTimeout(500);
  expect(posts, 'creations sent while the first is unanswered').toBe(1);
  release();
  await settled(page);
  expect(posts).toBe(3);
  await page.unroute('**/api/v1/todos');
  await page.reload();
  await waitForHydration(page);
  await expect(page.locator('.todo-list li label')).toHaveText(['first', 'second', 'third']);
});
