import { expect, test } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";
import { ADMIN, account, hydrated, js, openTokenForm, signIn, signOut, signUp, tokensFromSettings } from "./helpers";

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
  await page.getByLabel("New password", { exact: true }).fill("a brand new secret");
  await page.getByLabel("Password confirmation").fill("a brand new secret");
  await page.getByRole("button", { name: "Save password" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Password was successfully updated" })).toBeVisible();
  await signOut(page);
  await hydrated(page, info.project.name);
  await page.getByLabel("Username or email").fill(a.username);
  await page.getByLabel("Password").fill("a brand new secret");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: `Welcome, ${a.username}` })).toBeVisible();
});

test("the user menu closes on Escape, on a click outside and on going to another page", async ({ page }, info) => {
  const project = info.project.name;
  const a = account(project);
  await signUp(page, project, a);
  await hydrated(page, project);
  const button = page.getByTestId("user-menu");
  const menu = page.locator("details", { has: button });
  const open = async () => {
    await button.click();
    await expect(menu).toHaveAttribute("open", "");
  };
  await open();
  if (!js(project)) {
    // A <details> element: it opens and closes with its button alone.
    await button.click();
    await expect(menu).not.toHaveAttribute("open");
    return;
  }
  await page.keyboard.press("Escape");
  await expect(menu).not.toHaveAttribute("open");
  await expect(button).toBeFocused();

  await open();
  await page.getByRole("heading", { name: `Welcome, ${a.username}` }).click();
  await expect(menu).not.toHaveAttribute("open");

  await open();
  await menu.getByRole("link", { name: "Settings" }).click();
  await expect(page).toHaveURL(/\/-\/user_settings\/profile$/);
  await expect(menu).not.toHaveAttribute("open");
  // A click inside the menu keeps it open.
  await open();
  await menu.getByText("Signed in as").click();
  await expect(menu).toHaveAttribute("open", "");
});

test("after moving to another page, focus is on its heading; a refused form focuses its first wrong field", async ({ page }, info) => {
  const project = info.project.name;
  const a = account(project);
  await signUp(page, project, a);
  await tokensFromSettings(page, project);
  const heading = page.getByRole("heading", { level: 1, name: "Personal access tokens" });
  await expect(heading).toBeVisible();
  if (js(project)) {
    await expect(heading).toBeFocused();
  }
  // A blank name and no scope: the name is the first field in error, with
  // and without JavaScript.
  await hydrated(page, project);
  await openTokenForm(page);
  await page.getByLabel("Token name").fill("   ");
  await page.getByRole("button", { name: "Create personal access token" }).click();
  await expect(page.getByText("Enter a name for the token.")).toBeVisible();
  await expect(page.getByLabel("Token name")).toBeFocused();
  // Only the scopes wrong: the first box.
  await page.getByLabel("Token name").fill("named");
  await page.getByRole("button", { name: "Create personal access token" }).click();
  await expect(page.getByText("Enter a name for the token.")).toHaveCount(0);
  await expect(page.getByText("Select at least one scope.")).toBeVisible();
  await expect(page.getByLabel("Token name")).toHaveValue("named");
  await expect(page.getByRole("checkbox").first()).toBeFocused();
});

/**
 * The newest reset link mailed to `email` (other than `seen`), from the mail directory the test
 * server writes to (it sends every few seconds).
 */
async function mailedResetLink(email: string, seen?: string): Promise<string> {
  const dir = process.env.FORGEKEY_E2E_MAIL_DIR;
  if (!dir) throw new Error("FORGEKEY_E2E_MAIL_DIR must name the server's --mail-dir");
  for (let tries = 0; tries < 100; tries++) {
    const mails = fs
      .readdirSync(dir)
      .filter((name) => name.endsWith(".eml"))
      .sort((x, y) => parseInt(y) - parseInt(x))
      .map((name) => fs.readFileSync(path.join(dir, name), "utf8"))
      // Quoted-printable, as long lines are sent.
      .map((raw) => raw.replace(/=\r?\n/g, "").replace(/=3D/g, "="))
      .filter((raw) => raw.includes(`To: ${email}`))
      // Other mail (about tokens, say) may be newer.
      .map((raw) => raw.match(/https?:\/\/\S+\/users\/password\/edit\?reset_password_token=\S+/))
      .filter((found) => found !== null);
    const link = mails[0];
    if (link && link[0] !== seen) return link[0];
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error(`no reset link mailed to ${email}`);
}

test("forgot password: a mailed link sets a new one, once; an administrator can send one", async ({ page }, info) => {
  const project = info.project.name;
  const a = account(project);
  await signUp(page, project, a);
  await signOut(page);

  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await expect(page.getByRole("heading", { name: "Forgot your password?" })).toBeVisible();
  await hydrated(page, project);
  await page.getByLabel("Email").fill(a.email);
  await page.getByRole("button", { name: "Reset password" }).click();
  await expect(page.getByText("If your email address exists in our database")).toBeVisible();

  const link = await mailedResetLink(a.email);
  await page.goto(link);
  await hydrated(page, project);
  await page.getByLabel("New password", { exact: true }).fill("a brand new password");
  await page.getByLabel("Confirm new password").fill("a brand new password");
  await page.getByRole("button", { name: "Change your password" }).click();
  await expect(page.getByText("Your password has been changed successfully.")).toBeVisible();
  await expect(page.getByRole("main").getByRole("link", { name: "Sign in", exact: true })).toBeVisible();
  await signIn(page, project, { username: a.username, password: "a brand new password" });

  // Once only.
  await signOut(page);
  await page.goto(link);
  await expect(page.getByText("This link to reset your password is not valid")).toBeVisible();
  await expect(page.getByLabel("New password", { exact: true })).toHaveCount(0);

  // From the Admin Area: the user's page sends one.
  await signIn(page, project, ADMIN);
  await page.goto(`/admin/users/${a.username}`);
  await hydrated(page, project);
  await page.getByRole("button", { name: "Send reset link" }).click();
  await expect(page.getByText(`A link to choose a new password was mailed to ${a.email}.`)).toBeVisible();
  const fromAdmin = await mailedResetLink(a.email, link);
  await signOut(page);
  await page.goto(fromAdmin);
  await expect(page.getByLabel("New password", { exact: true })).toBeVisible();
});
