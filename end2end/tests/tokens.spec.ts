import { expect, test, type Page } from "@playwright/test";
import { account, hydrated, js, signOut, signUp } from "./helpers";

const PAGE = "/-/user_settings/personal_access_tokens";

async function openTokens(page: Page, project: string) {
  await page.goto(PAGE);
  await hydrated(page, project);
  await expect(page.getByRole("heading", { name: "Add a personal access token" })).toBeVisible();
}

async function createToken(page: Page, name: string, scopes: string[]) {
  await page.getByLabel("Token name").fill(name);
  for (const scope of scopes) {
    await page.getByLabel(scope, { exact: true }).check();
  }
  await page.getByRole("button", { name: "Create personal access token" }).click();
  const secret = page.getByTestId("new-token-secret");
  await expect(secret).toBeVisible();
  await expect(page.getByText("you won't be able to see it again")).toBeVisible();
  return (await secret.inputValue()).trim();
}

test("create a token, see its secret once, revoke it", async ({ page }, info) => {
  const project = info.project.name;
  const a = account(project);
  await signUp(page, project, a);

  // Reached from User Settings.
  await page.goto("/-/user_settings/profile");
  await hydrated(page, project);
  await page.getByRole("link", { name: "Access Tokens" }).click();
  await expect(page).toHaveURL(new RegExp(`${PAGE}$`));
  await hydrated(page, project);

  // The expiry date is suggested 30 days ahead and bounded.
  const expiry = page.getByLabel("Expiration date");
  await expect(expiry).toHaveAttribute("min", /^\d{4}-\d{2}-\d{2}$/);
  await expect(expiry).toHaveAttribute("max", /^\d{4}-\d{2}-\d{2}$/);
  // The first account is an administrator and sees sudo; see the second test.

  const secret = await createToken(page, "CI deploy", ["api", "read_user"]);
  expect(secret).toMatch(/^fkpat-[0-9A-Za-z]{49}$/);
  const active = page.getByTestId("active-token");
  await expect(active).toHaveCount(1);
  await expect(active.first()).toContainText("CI deploy");
  await expect(active.first()).toContainText("api, read_user");
  await expect(active.first()).toContainText("Never");
  await expect(page.getByRole("heading", { name: "Active personal access tokens (1)" })).toBeVisible();
  // The form is empty again for the next token.
  await expect(page.getByLabel("Token name")).toHaveValue("");
  await expect(page.getByLabel("api", { exact: true })).not.toBeChecked();
  await expect(page.getByLabel("read_user", { exact: true })).not.toBeChecked();

  // The field selects itself on focus, so it can be copied at once.
  await page.getByTestId("new-token-secret").focus();
  const selected = await page.evaluate(() => {
    const el = document.getElementById("new-token-secret") as HTMLInputElement;
    return el.value.substring(el.selectionStart ?? 0, el.selectionEnd ?? 0);
  });
  if (js(project)) {
    // (Without JavaScript the inline handler still runs: the CSP allows it
    // by hash. Playwright cannot evaluate without JavaScript, so only here.)
    expect(selected).toBe(secret);
    await expect(page.getByRole("button", { name: "Copy token" })).toBeVisible();
  }

  // Reload: gone. Away and back: gone. Back button: gone.
  await page.reload();
  await hydrated(page, project);
  await expect(page.getByTestId("new-token-secret")).toHaveCount(0);
  expect(await page.content()).not.toContain(secret);
  await page.goto("/-/user_settings/account");
  await page.goBack();
  await hydrated(page, project);
  await expect(page.getByTestId("active-token")).toHaveCount(1);
  expect(await page.content()).not.toContain(secret);

  // Revoke, with a confirmation first.
  await page.getByRole("link", { name: "Revoke CI deploy" }).click();
  const dialog = page.getByTestId("revoke-dialog");
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText("This cannot be undone.");
  await dialog.getByRole("link", { name: "Cancel" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId("active-token")).toHaveCount(1);

  await page.getByRole("link", { name: "Revoke CI deploy" }).click();
  await page.getByTestId("revoke-dialog").getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByTestId("revoke-dialog")).toHaveCount(0);
  await expect(page.getByRole("heading", { name: "Active personal access tokens (0)" })).toBeVisible();
  const inactive = page.getByTestId("inactive-token");
  await expect(inactive).toHaveCount(1);
  await expect(inactive.first()).toContainText("CI deploy");
  await expect(inactive.first()).toContainText("Revoked");
});

test("errors keep the form; others cannot see or revoke a token", async ({ page }, info) => {
  const project = info.project.name;
  const owner = account(project);
  await signUp(page, project, owner);
  await openTokens(page, project);

  // No scope chosen: a clear error, the name kept.
  await page.getByLabel("Token name").fill("needs a scope");
  await page.getByRole("button", { name: "Create personal access token" }).click();
  await expect(page.getByText("Select at least one scope.")).toBeVisible();
  await expect(page.getByLabel("Token name")).toHaveValue("needs a scope");
  await expect(page.getByTestId("new-token-secret")).toHaveCount(0);

  await createToken(page, "owner-only", ["read_api"]);
  const revokeHref = await page.getByRole("link", { name: "Revoke owner-only" }).getAttribute("href");
  await signOut(page);

  const other = account(project);
  await signUp(page, project, other);
  await openTokens(page, project);
  await expect(page.getByRole("heading", { name: "Active personal access tokens (0)" })).toBeVisible();
  // Regular users are not offered the administrator-only scopes.
  await expect(page.getByLabel("sudo", { exact: true })).toHaveCount(0);
  await expect(page.getByLabel("admin_mode", { exact: true })).toHaveCount(0);
  // The owner's confirmation URL shows nothing to someone else.
  await page.goto(revokeHref!);
  await hydrated(page, project);
  await expect(page.getByRole("heading", { name: "Add a personal access token" })).toBeVisible();
  await expect(page.getByTestId("revoke-dialog")).toHaveCount(0);
  expect(await page.content()).not.toContain("owner-only");
});
