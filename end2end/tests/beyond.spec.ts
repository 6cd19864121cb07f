import { expect, test, type Page } from "@playwright/test";
import { ADMIN, account, hydrated, openTokenForm, signIn, signOut, signUp } from "./helpers";

/** Creates a token named `name` on Access Tokens and returns its secret. */
async function createToken(page: Page, project: string, name: string) {
  await page.goto("/-/user_settings/personal_access_tokens");
  await hydrated(page, project);
  await openTokenForm(page);
  await page.getByLabel("Token name").fill(name);
  await page.getByLabel("api", { exact: true }).check();
  await page.getByRole("button", { name: "Create personal access token" }).click();
  return (await page.getByTestId("new-token-secret").inputValue()).trim();
}

test("credentials inventory: find a token by its secret, filter, revoke in bulk; leak reports", async ({ page, request }, info) => {
  const project = info.project.name;
  const a = account(project);
  await signUp(page, project, a);
  const ci = await createToken(page, project, "ci");
  const deploy = await createToken(page, project, "deploy");
  const leaked = await createToken(page, project, "leaked");
  await signOut(page);

  // API answers say when the token expires (an expiry date is required here).
  const me = await request.get("/api/v4/user", { headers: { "PRIVATE-TOKEN": ci } });
  expect(me.status()).toBe(200);
  expect(me.headers()["x-forgekey-token-expires-at"]).toMatch(/^\d{4}-\d\d-\d\dT00:00:00Z$/);

  // Anybody may report a leaked secret: 202 either way, and it stops working.
  for (const tokens of [[leaked], ["fkpat-not-a-real-one"]]) {
    const r = await request.post("/api/v4/personal_access_tokens/revoke_leaked", { data: { tokens } });
    expect(r.status()).toBe(202);
  }
  expect((await request.get("/api/v4/user", { headers: { "PRIVATE-TOKEN": leaked } })).status()).toBe(401);

  await signIn(page, project, ADMIN);
  await page.goto("/admin");
  await hydrated(page, project);
  await page.getByRole("navigation", { name: "Admin Area" }).getByRole("link", { name: "Credentials" }).click();
  await expect(page.getByRole("heading", { name: "Credentials", level: 1 })).toBeVisible();
  await hydrated(page, project);

  // The token behind a secret, without the secret in any address or page.
  await page.getByLabel("Secret", { exact: true }).fill(deploy);
  await page.getByRole("button", { name: "Find", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "This secret is" }))
    .toContainText(`${a.username}’s personal access token “deploy”`);
  await expect(page.getByRole("status").filter({ hasText: "This secret is" })).toContainText("active");
  expect(page.url()).not.toContain(deploy);
  expect(await page.content()).not.toContain(deploy);
  await page.getByLabel("Secret", { exact: true }).fill("not-a-token");
  await page.getByRole("button", { name: "Find", exact: true }).click();
  await expect(page.getByText("This is not a Forgekey token")).toBeVisible();

  // Filtered to the owner: three tokens, two active (one was reported leaked).
  await page.getByLabel("Owner").fill(a.username);
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page.getByTestId("credential")).toHaveCount(3);
  await expect(page.getByTestId("credentials-count")).toHaveText("3 tokens match, 2 of them active.");

  // Revoked in bulk after a confirmation naming how many.
  await page.getByTestId("revoke-matching").click();
  const dialog = page.getByTestId("revoke-matching-dialog");
  await expect(dialog).toContainText("Revoke 2 tokens?");
  await dialog.getByRole("button", { name: "Revoke tokens" }).click();
  await expect(page.getByRole("status").filter({ hasText: "2 tokens were revoked." })).toBeVisible();
  await expect(page.getByTestId("revoke-matching-dialog")).toHaveCount(0);
  await expect(page.getByTestId("credentials-count")).toHaveText("3 tokens match, 0 of them active.");
  for (const secret of [ci, deploy]) {
    expect((await request.get("/api/v4/user", { headers: { "PRIVATE-TOKEN": secret } })).status()).toBe(401);
  }

  // On the record; the owner was mailed each time.
  await page.goto("/admin/audit_events");
  await hydrated(page, project);
  await expect(page.getByTestId("audit-event").filter({ hasText: "Revoked token (reported leaked)" }).first())
    .toContainText(a.username);
  await page.goto("/admin/outbox");
  await hydrated(page, project);
  await expect(page.getByTestId("mail").filter({ hasText: a.email }).filter({ hasText: "found in public" }))
    .toHaveCount(1);
  await expect(page.getByTestId("mail").filter({ hasText: a.email }).filter({ hasText: "was revoked" }))
    .toHaveCount(2);
});

test("allowed addresses, a rotation overlap, new-address mail; unused tokens setting", async ({ page, request }, info) => {
  const project = info.project.name;
  const a = account(project);
  await signUp(page, project, a);
  const api = async (secret: string) =>
    (await request.get("/api/v4/user", { headers: { "PRIVATE-TOKEN": secret } })).status();

  // A bad entry is named, and the form keeps what was typed.
  await page.goto("/-/user_settings/personal_access_tokens");
  await hydrated(page, project);
  await openTokenForm(page);
  await page.getByLabel("Token name").fill("office");
  await page.getByLabel("Allowed IP addresses (optional)").fill("192.0.2.0/24, example.com");
  await page.getByLabel("api", { exact: true }).check();
  await page.getByRole("button", { name: "Create personal access token" }).click();
  await expect(page.getByText("example.com is not an IP address or CIDR range")).toBeVisible();
  await expect(page.getByLabel("Allowed IP addresses (optional)")).toHaveValue("192.0.2.0/24, example.com");

  // Only from elsewhere: refused from here (the tests run on this machine).
  await page.getByLabel("Allowed IP addresses (optional)").fill("192.0.2.0/24");
  await page.getByLabel("api", { exact: true }).check();
  await page.getByRole("button", { name: "Create personal access token" }).click();
  const office = (await page.getByTestId("new-token-secret").inputValue()).trim();
  expect(office).toMatch(/^fkpat-/);
  expect(await api(office)).toBe(401);
  await page.goto("/-/user_settings/personal_access_tokens");
  await hydrated(page, project);
  await expect(page.getByTestId("active-token").filter({ hasText: "office" }).getByTestId("allowed-ips"))
    .toHaveText("Only from 192.0.2.0/24");

  // Edited in place: narrowed, never widened.
  await page.getByTestId("active-token").getByRole("link", { name: "Edit office" }).click();
  await expect(page.getByRole("heading", { name: "Edit personal access token", level: 1 })).toBeVisible();
  await hydrated(page, project);
  await page.getByLabel("Allowed IP addresses").fill("0.0.0.0/0");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByText("Allowed addresses can only be narrowed (now: 192.0.2.0/24).")).toBeVisible();
  await page.getByLabel("Allowed IP addresses").fill("192.0.2.0/25");
  await page.getByLabel("Token name").fill("office-a");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page).toHaveURL(/\/-\/user_settings\/personal_access_tokens$/);
  await hydrated(page, project);
  await expect(page.getByTestId("active-token").filter({ hasText: "office-a" }).getByTestId("allowed-ips"))
    .toHaveText("Only from 192.0.2.0/25");

  // From this machine: it works.
  await openTokenForm(page);
  await page.getByLabel("Token name").fill("local");
  await page.getByLabel("Allowed IP addresses (optional)").fill("127.0.0.1, ::1");
  await page.getByLabel("api", { exact: true }).check();
  await page.getByRole("button", { name: "Create personal access token" }).click();
  const first = (await page.getByTestId("new-token-secret").inputValue()).trim();
  expect(await api(first)).toBe(200);

  // Restricted to a project: the list names it, and the API finds no other.
  const made = await request.post("/api/v4/projects", { headers: { "PRIVATE-TOKEN": first }, data: { name: "site" } });
  expect(made.status()).toBe(201);
  await request.post("/api/v4/projects", { headers: { "PRIVATE-TOKEN": first }, data: { name: "tools" } });
  await page.goto("/-/user_settings/personal_access_tokens");
  await hydrated(page, project);
  await openTokenForm(page);
  await page.getByLabel("Token name").fill("site-only");
  await page.getByLabel("Limit to projects (optional)").fill(`${a.username}/nope`);
  await page.getByLabel("api", { exact: true }).check();
  await page.getByRole("button", { name: "Create personal access token" }).click();
  await expect(page.getByText(`There is no project ${a.username}/nope that you can reach.`)).toBeVisible();
  await page.getByLabel("Limit to projects (optional)").fill(`${a.username}/site`);
  await page.getByLabel("api", { exact: true }).check();
  await page.getByRole("button", { name: "Create personal access token" }).click();
  const siteOnly = (await page.getByTestId("new-token-secret").inputValue()).trim();
  const listed = await request.get("/api/v4/projects", { headers: { "PRIVATE-TOKEN": siteOnly } });
  expect((await listed.json()).map((p: { path: string }) => p.path)).toEqual(["site"]);
  await page.goto("/-/user_settings/personal_access_tokens");
  await hydrated(page, project);
  await expect(page.getByTestId("active-token").filter({ hasText: "site-only" }).getByTestId("token-projects"))
    .toHaveText(`Only projects ${a.username}/site`);

  // Rotated with an hour's overlap: both secrets work, and the list says until when.
  await page.goto("/-/user_settings/personal_access_tokens");
  await hydrated(page, project);
  await page.getByTestId("active-token").getByRole("link", { name: "Rotate local" }).click();
  await expect(page.getByRole("heading", { name: "Rotate personal access token", level: 1 })).toBeVisible();
  await hydrated(page, project);
  await page.getByLabel("Keep the old secret working for").selectOption({ label: "1 hour" });
  await page.getByRole("button", { name: "Rotate token" }).click();
  const second = (await page.getByTestId("new-token-secret").inputValue()).trim();
  expect(second).not.toBe(first);
  expect(await api(first)).toBe(200);
  expect(await api(second)).toBe(200);
  await page.goto("/-/user_settings/personal_access_tokens");
  await hydrated(page, project);
  await expect(page.getByTestId("inactive-token").filter({ hasText: "local" }).getByTestId("overlap-until"))
    .toContainText("Rotated; the old secret still works until");
  await signOut(page);

  // The owner heard of the refusal, and of the first use from this address of each token
  // ("local" and its rotation are one; "site-only" another).
  await signIn(page, project, ADMIN);
  await page.goto("/admin/outbox");
  await hydrated(page, project);
  const mails = page.getByTestId("mail").filter({ hasText: a.email });
  await expect(mails.filter({ hasText: "A request with your personal access token was refused" })).toHaveCount(1);
  await expect(mails.filter({ hasText: "used from a new address" })).toHaveCount(2);

  // Unused tokens: a period shorter than the week of warning is refused; 0 turns it off.
  await page.goto("/admin/application_settings");
  await hydrated(page, project);
  const unused = page.getByLabel("Revoke tokens unused for (days)");
  await unused.fill("5");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByText("Unused tokens are revoked after 14 to 3650 days, or never (0).")).toBeVisible();
  await unused.fill("0");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("status").filter({ hasText: "The settings were saved." })).toBeVisible();
});
