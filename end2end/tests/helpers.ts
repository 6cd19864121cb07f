import { expect, type Page } from "@playwright/test";

export const js = (name: string) => name === "js";

// Unique per run and project, so both projects share one server.
export function account(project: string) {
  const id = `${project}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  return { username: `user-${id}`, email: `${id}@example.com`, password: "correct horse battery" };
}

export type Account = ReturnType<typeof account>;

export async function hydrated(page: Page, project: string) {
  if (js(project)) {
    // Wait until the wasm app has taken over the page.
    await page.locator("body[data-hydrated=true]").waitFor({ timeout: 30_000 });
  }
}

export async function signUp(page: Page, project: string, a: Account) {
  await page.goto("/users/sign_up");
  await hydrated(page, project);
  await page.getByLabel("Username").fill(a.username);
  await page.getByLabel("Email").fill(a.email);
  await page.getByLabel("Password").fill(a.password);
  await page.getByRole("button", { name: "Register" }).click();
  await expect(page.getByRole("heading", { name: `Welcome, ${a.username}` })).toBeVisible();
}

export async function signOut(page: Page) {
  await page.getByTestId("user-menu").click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/users\/sign_in$/);
  await expect(page.getByRole("link", { name: "Register" }).first()).toBeVisible();
}

// scripts/test.sh creates this administrator before the server starts.
export const ADMIN = {
  username: "e2e-admin",
  email: "e2e-admin@example.com",
  password: process.env.FORGEKEY_E2E_ADMIN_PASSWORD ?? "e2e-admin-password",
};

export async function signIn(page: Page, project: string, a: Pick<Account, "username" | "password">) {
  await page.goto("/users/sign_in");
  await hydrated(page, project);
  await page.getByLabel("Username or email").fill(a.username);
  await page.getByLabel("Password").fill(a.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: `Welcome, ${a.username}` })).toBeVisible();
}

/** Reaches Access Tokens as a person does: User Settings, then its link. */
export async function tokensFromSettings(page: Page, project: string) {
  await page.goto("/-/user_settings/profile");
  await hydrated(page, project);
  await page.getByRole("link", { name: "Access Tokens" }).click();
}

/** On Access Tokens: opens the new-token form ("Add new token", GitLab 16) unless it is open. */
export async function openTokenForm(page: Page) {
  const form = page.getByRole("heading", { name: "Add a personal access token" });
  if (!(await form.isVisible())) {
    await page.getByTestId("add-token").click();
  }
  await expect(form).toBeVisible();
}

/** Every page, for checks that go through them all (layout, accessibility). */
export const SIGNED_OUT_PAGES = [
  "/",
  "/users/sign_in",
  "/users/sign_up",
  "/users/password/new",
  "/users/password/edit?reset_password_token=no-such-link",
  "/no/such/page",
];
export const ADMIN_PAGES = [
  "/",
  "/projects",
  "/-/user_settings/profile",
  "/-/user_settings/account",
  "/-/user_settings/two_factor_auth",
  "/-/user_settings/personal_access_tokens",
  "/admin",
  "/admin/application_settings",
  "/admin/users",
  `/admin/users/${ADMIN.username}`,
  "/admin/audit_events",
  "/admin/outbox",
  "/admin/credentials",
];
