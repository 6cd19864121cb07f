// Takes the README screenshots from a running Forgekey with a fresh data dir:
//   node scripts/screenshots.mjs http://127.0.0.1:3100 ../docs
import { chromium } from "@playwright/test";

const [base, out] = process.argv.slice(2);
if (!base || !out) {
  console.error("usage: node scripts/screenshots.mjs BASE_URL OUTPUT_DIR");
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu"],
});
const page = await browser.newPage({ viewport: { width: 1100, height: 640 } });
const hydrated = () => page.locator("body[data-hydrated=true]").waitFor();

await page.goto(`${base}/users/sign_in`);
await hydrated();
await page.screenshot({ path: `${out}/screenshot.png` });

await page.goto(`${base}/users/sign_up`);
await hydrated();
await page.getByLabel("Username").fill("ada");
await page.getByLabel("Email").fill("ada@example.com");
await page.getByLabel("Password").fill("correct horse battery");
await page.getByRole("button", { name: "Register" }).click();
await page.getByRole("heading", { name: "Welcome, ada" }).waitFor();
await page.goto(`${base}/-/user_settings/personal_access_tokens`);
await hydrated();
await page.getByLabel("Token name").fill("nightly backup");
await page.getByLabel("read_repository", { exact: true }).check();
await page.getByRole("button", { name: "Create personal access token" }).click();
await page.getByLabel("Token name").fill("release pipeline");
await page.getByLabel("api", { exact: true }).check();
await page.getByLabel("write_repository", { exact: true }).check();
await page.getByRole("button", { name: "Create personal access token" }).click();
await page.getByTestId("active-token").nth(1).waitFor();
await page.setViewportSize({ width: 1100, height: 1500 });
await page.screenshot({ path: `${out}/access-tokens.png`, fullPage: true });

await page.setViewportSize({ width: 1100, height: 900 });
await page.goto(`${base}/-/user_settings/two_factor_auth`);
await hydrated();
await page.getByLabel("Current password").fill("correct horse battery");
await page.getByRole("button", { name: "Continue" }).click();
await page.getByTestId("manual-key").waitFor();
await page.screenshot({ path: `${out}/two-factor.png`, fullPage: true });

// The first account is an administrator: the Admin Area's page of a user.
await page.goto(`${base}/admin/users/ada`);
await hydrated();
await page.getByTestId("admin-token").first().waitFor();
await page.setViewportSize({ width: 1100, height: 1400 });
await page.screenshot({ path: `${out}/admin-user.png`, fullPage: true });
await browser.close();
