import { expect, test, type Page } from "@playwright/test";

const js = (name: string) => name === "js";

// Unique per run and project, so both projects share one server.
function account(project: string) {
  const id = `${project}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  return { username: `user-${id}`, email: `${id}@example.com`, password: "correct horse battery" };
}

async function hydrated(page: Page, project: string) {
  if (js(project)) {
    // Wait until the wasm app has taken over the page.
    await page.locator("body[data-hydrated=true]").waitFor({ timeout: 30_000 });
  }
}

async function signUp(page: Page, project: string, a: ReturnType<typeof account>) {
  await page.goto("/users/sign_up");
  await hydrated(page, project);
  await page.getByLabel("Username").fill(a.username);
  await page.getByLabel("Email").fill(a.email);
  await page.getByLabel("Password").fill(a.password);
  await page.getByRole("button", { name: "Register" }).click();
  await expect(page.getByRole("heading", { name: `Welcome, ${a.username}` })).toBeVisible();
}

async function signOut(page: Page) {
  await page.getByTestId("user-menu").click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/users\/sign_in$/);
  await expect(page.getByRole("link", { name: "Register" }).first()).toBeVisible();
}

test("sign up, sign out, sign in", async ({ page }, info) => {
  const a = account(info.project.name);
  await signUp(page, info.project.name, a);
  await signOut(page);

  await hydrated(page, info.project.name);
  await page.getByLabel("Username or email").fill(a.email.toUpperCase());
  await page.getByLabel("Password").fill(a.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: `Welcome, ${a.username}` })).toBeVisible();

  await page.goto("/-/user_settings/profile");
  await expect(page.getByTestId("profile-username")).toHaveText(a.username);
});

test("wrong password shows an error and keeps the login", async ({ page }, info) => {
  const a = account(info.project.name);
  await signUp(page, info.project.name, a);
  await signOut(page);
  await hydrated(page, info.project.name);
  await page.getByLabel("Username or email").fill(a.username);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("Invalid login or password.");
  await expect(page.getByLabel("Username or email")).toHaveValue(a.username);
  await expect(page.getByLabel("Password")).toHaveValue("");
});

test("sign-up errors appear beside the fields", async ({ page }, info) => {
  await page.goto("/users/sign_up");
  await hydrated(page, info.project.name);
  await page.getByLabel("Username").fill("ok-name");
  await page.getByLabel("Email").fill("someone@example");
  await page.getByLabel("Password").fill("12345678");
  await page.getByRole("button", { name: "Register" }).click();
  await expect(page.getByText("Email is not a valid email address.")).toBeVisible();
  await expect(page.getByLabel("Username")).toHaveValue("ok-name");
});

test("settings need a signed-in user", async ({ page }) => {
  await page.goto("/-/user_settings/account");
  await expect(page).toHaveURL(/\/users\/sign_in$/);
});

test("change password", async ({ page }, info) => {
  const a = account(info.project.name);
  await signUp(page, info.project.name, a);
  await page.goto("/-/user_settings/account");
  await hydrated(page, info.project.name);
  await page.getByLabel("Current password").fill(a.password);
  await page.getByLabel("New password").fill("a brand new secret");
  await page.getByLabel("Password confirmation").fill("a brand new secret");
  await page.getByRole("button", { name: "Save password" }).click();
  await expect(page.getByRole("status")).toContainText("Password was successfully updated");
  await signOut(page);
  await hydrated(page, info.project.name);
  await page.getByLabel("Username or email").fill(a.username);
  await page.getByLabel("Password").fill("a brand new secret");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: `Welcome, ${a.username}` })).toBeVisible();
});
