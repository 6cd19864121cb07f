import { expect, test, type Page } from "@playwright/test";
import { ADMIN, account, hydrated, openTokenForm, signIn, signOut, signUp } from "./helpers";

async function openAdmin(page: Page, project: string, link: string) {
  await page.goto("/admin");
  await hydrated(page, project);
  await page.getByRole("navigation", { name: "Admin Area" }).getByRole("link", { name: link }).click();
  await hydrated(page, project);
}

async function setLimit(page: Page, project: string, days: string) {
  await openAdmin(page, project, "Settings");
  await page.getByLabel("Maximum allowable lifetime (days)").fill(days);
  await page.getByRole("button", { name: "Save changes" }).click();
}

/** A new user with one token expiring as late as the form allows; signed out after. */
async function userWithLongToken(page: Page, project: string) {
  const a = account(project);
  await signUp(page, project, a);
  await page.goto("/-/user_settings/personal_access_tokens");
  await hydrated(page, project);
  await openTokenForm(page);
  const expiry = page.getByLabel("Expiration date");
  await expiry.fill((await expiry.getAttribute("max"))!);
  await page.getByLabel("Token name").fill("long-lived");
  await page.getByLabel("read_api", { exact: true }).check();
  await page.getByRole("button", { name: "Create personal access token" }).click();
  const secret = (await page.getByTestId("new-token-secret").inputValue()).trim();
  await signOut(page);
  return { a, secret };
}

test("lowering the token lifetime limit revokes, mails, bounds the form; unrevoke", async ({ page, request }, info) => {
  const project = info.project.name;
  const { a, secret } = await userWithLongToken(page, project);
  expect((await request.get("/api/v4/user", { headers: { "PRIVATE-TOKEN": secret } })).status()).toBe(200);

  // Not for regular users: a 404.
  await signIn(page, project, a);
  const notFound = await page.goto("/admin/application_settings");
  expect(notFound?.status()).toBe(404);
  await signOut(page);

  await signIn(page, project, ADMIN);
  await page.getByTestId("user-menu").click();
  await page.getByRole("link", { name: "Admin Area" }).click();
  await expect(page.getByRole("heading", { name: "Admin Area", level: 1 })).toBeVisible();

  // Lowering asks for confirmation, naming what it revokes.
  await setLimit(page, project, "30");
  await expect(page.getByText(/A limit of 30 days revokes \d+ active tokens? of \d+ users?/)).toBeVisible();
  await expect(page.getByLabel("Maximum allowable lifetime (days)")).toHaveValue("30");
  // An amber question beside the limit, not a red error; the button says what it does.
  await expect(page.getByRole("alert")).toHaveCount(0);
  await expect(page.getByLabel(/A limit of 30 days revokes/)).toBeFocused();
  const confirm = page.getByRole("button", { name: /^Revoke \d+ tokens? and save$/ });
  await expect(confirm).toBeVisible();
  await page.getByLabel(/A limit of 30 days revokes/).check();
  await confirm.click();
  await expect(page.getByRole("status").filter({ hasText: /The settings were saved\. \d+ tokens? (was|were) revoked/ })).toBeVisible();
  await expect(page.getByLabel("Maximum allowable lifetime (days)")).toHaveValue("30");
  expect((await request.get("/api/v4/user", { headers: { "PRIVATE-TOKEN": secret } })).status()).toBe(401);

  // The owner got a mail (kept in the outbox: no SMTP server here).
  await openAdmin(page, project, "Outbox");
  const mail = page.getByTestId("mail").filter({ hasText: a.email }).first();
  await expect(mail).toContainText("long-lived");
  await expect(mail).toContainText("limited personal access tokens to 30 days");
  expect(await page.content()).not.toContain(secret);

  // The create form now stops at 30 days.
  await page.goto("/-/user_settings/personal_access_tokens");
  await hydrated(page, project);
  const max = await page.getByLabel("Expiration date").getAttribute("max");
  const days = (Date.parse(max!) - Date.parse(new Date().toISOString().slice(0, 10))) / 86_400_000;
  expect(days).toBe(30);

  // Find the user; unrevoking the token beyond the new limit is refused.
  const openUser = async () => {
    await openAdmin(page, project, "Users");
    await page.getByLabel("Search by username or email").fill(a.username.toUpperCase());
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page.getByTestId("admin-user")).toHaveCount(1);
    await page.getByRole("link", { name: a.username }).click();
    await hydrated(page, project);
  };
  const unrevoke = async () => {
    await page.getByRole("link", { name: "Unrevoke long-lived" }).click();
    const dialog = page.getByTestId("confirm-dialog");
    await expect(dialog).toContainText("Unrevoke “long-lived”?");
    await dialog.getByRole("button", { name: "Unrevoke" }).click();
  };
  await openUser();
  await expect(page.getByTestId("token-state")).toContainText("Revoked");
  await unrevoke();
  await expect(page.getByRole("alert")).toContainText("later than the 30-day limit allows: it stays revoked");
  await expect(page.getByTestId("token-state")).toContainText("Revoked");
  expect((await request.get("/api/v4/user", { headers: { "PRIVATE-TOKEN": secret } })).status()).toBe(401);

  // Raising the limit again needs no confirmation; then the token may be unrevoked: it works again.
  await setLimit(page, project, "365");
  await expect(page.getByRole("status").filter({ hasText: "The settings were saved." })).toHaveText("The settings were saved.");
  await openUser();
  await unrevoke();
  await expect(page.getByRole("status").filter({ hasText: "was unrevoked" })).toBeVisible();
  await expect(page.getByTestId("confirm-dialog")).toHaveCount(0);
  await expect(page.getByTestId("token-state")).toHaveText("Active");
  expect((await request.get("/api/v4/user", { headers: { "PRIVATE-TOKEN": secret } })).status()).toBe(200);

  // On the record, with the time of day.
  await openAdmin(page, project, "Audit log");
  await expect(page.getByTestId("audit-event").first()).toContainText("Unrevoked token");
  await expect(page.getByTestId("audit-event").first()).toContainText(/\d\d:\d\d:\d\d UTC/);
  await expect(page.getByTestId("audit-event").filter({ hasText: "365 → 30 days" }).first())
    .toContainText("Changed instance settings");

  // Filtered by action.
  await page.getByLabel("Action").selectOption("settings_changed");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page.getByTestId("audit-event").first()).toContainText("Changed instance settings");
  await expect(page.getByTestId("audit-event").filter({ hasText: "Unrevoked token" })).toHaveCount(0);
});

test("an impersonation token made in the Admin Area acts as the user; blocking stops it", async ({ page, request }, info) => {
  const project = info.project.name;
  const a = account(project);
  await signUp(page, project, a);
  await signOut(page);

  await signIn(page, project, ADMIN);
  await page.goto(`/admin/users/${a.username}`);
  await hydrated(page, project);
  await page.getByLabel("Token name").fill("support session");
  await page.getByLabel("read_api", { exact: true }).check();
  await page.getByLabel(`I understand that this token acts as ${a.username}`).check();
  await page.getByRole("button", { name: "Create impersonation token" }).click();
  const field = page.getByTestId("new-token-secret");
  await expect(field).toBeVisible();
  await expect(page.getByRole("heading", { name: "Your new impersonation token “support session”" }))
    .toBeVisible();
  const secret = (await field.inputValue()).trim();
  const impersonation = page.getByTestId("admin-token").filter({ hasText: "support session" });
  await expect(impersonation).toHaveCount(1);

  const me = await request.get("/api/v4/user", { headers: { "PRIVATE-TOKEN": secret } });
  expect(me.status()).toBe(200);
  expect((await me.json()).username).toBe(a.username);

  // Block (confirmed): the token stops; unblock: it works again.
  await page.getByRole("link", { name: "Block", exact: true }).click();
  await page.getByTestId("confirm-dialog").getByRole("button", { name: "Block", exact: true }).click();
  await expect(page.getByTestId("user-state")).toHaveText("Blocked");
  // GitLab's answer to a blocked account's working token: 403, saying why.
  const blocked = await request.get("/api/v4/user", { headers: { "PRIVATE-TOKEN": secret } });
  expect(blocked.status()).toBe(403);
  expect(await blocked.json()).toEqual({ message: "403 Forbidden - Your account has been blocked." });
  await page.getByRole("link", { name: "Unblock", exact: true }).click();
  await page.getByTestId("confirm-dialog").getByRole("button", { name: "Unblock", exact: true }).click();
  await expect(page.getByTestId("user-state")).toHaveText("Active");
  expect((await request.get("/api/v4/user", { headers: { "PRIVATE-TOKEN": secret } })).status()).toBe(200);

  // The user's own page does not list it.
  await signOut(page);
  await signIn(page, project, a);
  await page.goto("/-/user_settings/personal_access_tokens");
  await hydrated(page, project);
  await expect(page.getByRole("heading", { name: "Active personal access tokens (0)" })).toBeVisible();
});
