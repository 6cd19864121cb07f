import { expect, test, type Page } from "@playwright/test";
import { account, hydrated, js, openTokenForm, signOut, signUp, tokensFromSettings } from "./helpers";

const PAGE = "/-/user_settings/personal_access_tokens";

async function openTokens(page: Page, project: string) {
  await page.goto(PAGE);
  await hydrated(page, project);
  // The list first; the form opens from its button (GitLab 16).
  await expect(page.getByRole("heading", { name: /^Active personal access tokens/ })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Add a personal access token" })).toBeHidden();
}

async function createToken(page: Page, name: string, scopes: string[]) {
  await openTokenForm(page);
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
  await tokensFromSettings(page, project);
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
  await openTokenForm(page);

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
  await expect(page.getByRole("heading", { name: "Active personal access tokens (0)" })).toBeVisible();
  await expect(page.getByTestId("revoke-dialog")).toHaveCount(0);
  expect(await page.content()).not.toContain("owner-only");
});

test("a link from a tool, old address included, opens a prefilled form; an empty date takes the limit", async ({ page }, info) => {
  const project = info.project.name;
  const a = account(project);
  await signUp(page, project, a);

  // GitLab 14.1+ links, here to GitLab 16's older address of the page.
  await page.goto("/-/profile/personal_access_tokens?name=Release%20bot&scopes=api,read_user");
  await expect(page).toHaveURL(new RegExp(`${PAGE}\\?name=Release%20bot&scopes=api,read_user$`));
  await hydrated(page, project);
  await expect(page.getByLabel("Token name")).toHaveValue("Release bot");
  await expect(page.getByLabel("api", { exact: true })).toBeChecked();
  await expect(page.getByLabel("read_user", { exact: true })).toBeChecked();
  await expect(page.getByLabel("read_api", { exact: true })).not.toBeChecked();

  // The form says what an empty date gives, and gives it: the limit.
  const expiry = page.getByLabel("Expiration date");
  const latest = await expiry.getAttribute("max");
  await expect(page.getByText(`Leave it empty for the longest lifetime allowed, 365 days (until ${latest}).`))
    .toBeVisible();
  await expiry.fill("");
  await page.getByRole("button", { name: "Create personal access token" }).click();
  await expect(page.getByTestId("new-token-secret")).toBeVisible();
  const row = page.getByTestId("active-token").filter({ hasText: "Release bot" });
  await expect(row.locator(`time[datetime="${latest}T00:00:00Z"]`)).toHaveCount(1);
  await expect(page).toHaveTitle("Personal access tokens · Forgekey");

  // The home page has a title too.
  await page.goto("/");
  await expect(page).toHaveTitle("Forgekey");
});

test("the new secret comes into view focused; copying says whether it worked, on plain HTTP too", async ({ page, context }, info) => {
  const project = info.project.name;
  const a = account(project);
  await page.setViewportSize({ width: 390, height: 844 });
  await signUp(page, project, a);
  await openTokens(page, project);
  const secret = await createToken(page, "phone", ["read_api"]);
  const field = page.getByTestId("new-token-secret");
  await expect(field).toBeFocused();
  await expect(field).toBeInViewport();
  if (!js(project)) return; // no copy button without JavaScript: the field selects itself

  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  // "Copy token", then "Copied".
  const copy = page.getByRole("button", { name: /^(Copy token|Copied)$/ });
  const status = page.getByTestId("copy-status");
  const clipboard = () => page.evaluate(() => navigator.clipboard.readText());
  await copy.click();
  await expect(status).toHaveText("Copied to the clipboard.");
  expect(await clipboard()).toBe(secret);

  // A plain-HTTP origin has no clipboard API: the copy command does it.
  await page.evaluate(async () => {
    await navigator.clipboard.writeText("");
    Object.defineProperty(window, "isSecureContext", { value: false });
    navigator.clipboard.writeText = () => Promise.reject(new Error("not a secure context"));
  });
  await copy.click();
  await expect(status).toHaveText("Copied to the clipboard.");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  await expect(copy).toBeFocused();

  // And where the browser refuses that too, it says what to do.
  await page.evaluate(() => {
    document.execCommand = () => false;
  });
  await copy.click();
  await expect(status).toHaveText("The browser refused to copy: select the text and press Ctrl+C (⌘C on a Mac).");
});

test("the revoke dialog: modal, Cancel focused, Escape cancels and focus returns, fits a phone", async ({ page }, info) => {
  const project = info.project.name;
  const a = account(project);
  await page.setViewportSize({ width: 390, height: 844 });
  await signUp(page, project, a);
  await openTokens(page, project);
  await createToken(page, "laptop", ["read_api"]);
  const revoke = page.getByRole("link", { name: "Revoke laptop" });
  await revoke.click();
  const dialog = page.getByTestId("revoke-dialog");
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole("link", { name: "Cancel" })).toBeFocused();
  const box = (await dialog.boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(390);
  if (!js(project)) return; // a page of its own: Cancel is a link back

  // Modal: the page behind it cannot be reached.
  expect(await dialog.evaluate((d) => d.matches(":modal"))).toBe(true);
  await page.keyboard.press("Escape");
  await expect(dialog).toHaveCount(0);
  await expect(page).toHaveURL(new RegExp(`${PAGE}$`));
  await expect(revoke).toBeFocused();
  await expect(page.getByTestId("active-token")).toHaveCount(1);
});

test("a description, edited later; rotate for a new secret; search, filter and sort the list", async ({ page }, info) => {
  const project = info.project.name;
  const a = account(project);
  await signUp(page, project, a);

  // A tool's link may prefill the description (GitLab 17.7).
  await page.goto(`${PAGE}?name=Nightly&scopes=read_api&description=Backs%20up`);
  await hydrated(page, project);
  await expect(page.getByLabel("Description (optional)")).toHaveValue("Backs up");
  await page.getByRole("button", { name: "Create personal access token" }).click();
  const first = (await page.getByTestId("new-token-secret").inputValue()).trim();
  const row = page.getByTestId("active-token").filter({ hasText: "Nightly" });
  await expect(row.getByTestId("token-description")).toHaveText("Backs up");

  // Edit: its own page, back to the list.
  await row.getByRole("link", { name: "Edit Nightly" }).click();
  await expect(page.getByRole("heading", { name: "Edit personal access token", level: 1 })).toBeVisible();
  await hydrated(page, project);
  await expect(page.getByTestId("token-summary")).toContainText("read_api");
  await page.getByLabel("Description").fill("Backs up the database");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page).toHaveURL(new RegExp(`${PAGE}$`));
  await expect(page.getByTestId("token-description")).toHaveText("Backs up the database");

  // Rotate: a new secret, same name and description; the old one is gone.
  await hydrated(page, project);
  await page.getByTestId("active-token").getByRole("link", { name: "Rotate Nightly" }).click();
  await expect(page.getByRole("heading", { name: "Rotate personal access token", level: 1 })).toBeVisible();
  await hydrated(page, project);
  await page.getByRole("button", { name: "Rotate token" }).click();
  const field = page.getByTestId("new-token-secret");
  await expect(field).toBeVisible();
  await expect(field).toBeFocused();
  await expect(page.getByRole("heading", { name: "Your new personal access token “Nightly”" })).toBeVisible();
  const second = (await field.inputValue()).trim();
  expect(second).toMatch(/^fkpat-/);
  expect(second).not.toBe(first);
  const api = async (secret: string) =>
    (await page.request.get("/api/v4/personal_access_tokens/self", { headers: { "PRIVATE-TOKEN": secret } })).status();
  expect(await api(first)).toBe(401);
  expect(await api(second)).toBe(200);

  // A token expiring tomorrow is marked.
  await page.goto(PAGE);
  await hydrated(page, project);
  await openTokenForm(page);
  await page.getByLabel("Token name").fill("Short-lived");
  const expiry = page.getByLabel("Expiration date");
  await expiry.fill((await expiry.getAttribute("min"))!);
  await page.getByLabel("read_user", { exact: true }).check();
  await page.getByRole("button", { name: "Create personal access token" }).click();
  await expect(page.getByTestId("new-token-secret")).toBeVisible();
  await page.goto(PAGE);
  await hydrated(page, project);
  const soon = page.getByTestId("active-token").filter({ hasText: "Short-lived" });
  await expect(soon.getByTestId("expires-soon")).toHaveText("Expires soon");
  await expect(page.getByTestId("active-token").filter({ hasText: "Nightly" }).getByTestId("expires-soon"))
    .toHaveCount(0);
  // The address it was used from shows once it is used.
  await expect(page.getByTestId("active-token").filter({ hasText: "Nightly" }).getByTestId("last-used-ips"))
    .toContainText("127.0.0.1");

  // Filter: the form keeps what the address asks.
  const search = page.getByRole("search", { name: "Filter tokens" });
  await search.getByLabel("Show").selectOption("revoked");
  await search.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/state=revoked/);
  await expect(page.getByTestId("active-token")).toHaveCount(0);
  await expect(page.getByTestId("inactive-token")).toHaveCount(1);
  await expect(page.getByRole("search", { name: "Filter tokens" }).getByLabel("Show")).toHaveValue("revoked");
  await page.getByRole("search", { name: "Filter tokens" }).getByLabel("Show").selectOption("expiring_soon");
  await page.getByRole("search", { name: "Filter tokens" }).getByLabel("Search by name").fill("short");
  await page.getByRole("search", { name: "Filter tokens" }).getByRole("button", { name: "Apply" }).click();
  await expect(page.getByTestId("active-token")).toHaveCount(1);
  await expect(page.getByTestId("active-token")).toContainText("Short-lived");
  // Sorted by name: "Nightly" before "Short-lived".
  await page.goto(`${PAGE}?sort=name_asc`);
  await hydrated(page, project);
  await expect(page.getByTestId("active-token").first()).toContainText("Nightly");
  await page.goto(`${PAGE}?sort=created_desc`);
  await hydrated(page, project);
  await expect(page.getByTestId("active-token").first()).toContainText("Short-lived");
});
