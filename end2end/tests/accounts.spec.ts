import { expect, test } from "@playwright/test";
import { account, hydrated, js, signOut, signUp } from "./helpers";

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
