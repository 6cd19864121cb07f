import { expect, test, type Page } from "@playwright/test";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { account, hydrated, signOut, signUp, type Account } from "./helpers";

const STEP_MS = 30_000;

function base32(text: string): Buffer {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const c of text.replace(/[\s=]/g, "").toUpperCase()) {
    value = ((value << 5) | alphabet.indexOf(c)) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** What an authenticator app shows for `key` at `at` (RFC 6238). */
function totp(key: string, at = Date.now()): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / STEP_MS)));
  const mac = createHmac("sha1", base32(key)).update(counter).digest();
  const offset = mac[mac.length - 1] & 15;
  return ((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).toString().padStart(6, "0");
}

/** Waits for the next step: a code is accepted once, and a step's code was. */
async function nextStep(page: Page) {
  await page.waitForTimeout(STEP_MS - (Date.now() % STEP_MS) + 500);
}

async function signInWithPassword(page: Page, project: string, a: Account) {
  await page.goto("/users/sign_in");
  await hydrated(page, project);
  await page.getByLabel("Username or email").fill(a.username);
  await page.getByLabel("Password").fill(a.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/users\/two_factor$/);
  await hydrated(page, project);
}

async function secondStep(page: Page, code: string, a: Account) {
  await page.getByLabel("Two-factor code").fill(code);
  await page.getByRole("button", { name: "Verify code" }).click();
  await expect(page.getByRole("heading", { name: `Welcome, ${a.username}` })).toBeVisible();
}

test("enrol, sign in with a code and with a recovery code, disable", async ({ page }, info) => {
  test.setTimeout(120_000);
  const project = info.project.name;
  const a = account(project);
  await signUp(page, project, a);

  await page.goto("/-/user_settings/account");
  await expect(page.getByTestId("account-two-factor")).toContainText("Status: disabled");
  await page.getByRole("link", { name: "Enable two-factor authentication" }).click();
  await expect(page).toHaveURL(/\/-\/user_settings\/two_factor_auth$/);
  await hydrated(page, project);
  await page.getByLabel("Current password").fill(a.password);
  await page.getByRole("button", { name: "Continue" }).click();

  // The QR code is drawn on the server; the test reads the key instead.
  await expect(page.getByRole("img", { name: "QR code of your two-factor secret" }).locator("svg")).toBeVisible();
  const key = (await page.getByTestId("manual-key").innerText()).trim();
  expect(key).toMatch(/^[A-Z2-7 ]{32,}$/);

  await page.getByLabel("Code from your app").fill(totp(key, Date.now() - 2 * STEP_MS));
  await page.getByRole("button", { name: "Register with two-factor app" }).click();
  await expect(page.getByText("Invalid two-factor code.")).toBeVisible();

  await page.getByLabel("Code from your app").fill(totp(key));
  await page.getByRole("button", { name: "Register with two-factor app" }).click();
  const codes = page.getByTestId("recovery-code");
  await expect(codes).toHaveCount(10);
  const recovery = await codes.allInnerTexts();
  expect(new Set(recovery).size).toBe(10);
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Download codes" }).click(),
  ]);
  expect(download.suggestedFilename()).toBe("forgekey-recovery-codes.txt");
  expect(readFileSync(await download.path(), "utf8").split("\n")).toEqual(recovery);

  // Shown once.
  await page.reload();
  await expect(page.getByTestId("two-factor-status")).toContainText("You have 10 unused recovery codes.");
  await expect(page.getByTestId("recovery-code")).toHaveCount(0);

  await signOut(page);
  await signInWithPassword(page, project, a);
  await nextStep(page);
  await secondStep(page, totp(key), a);

  await signOut(page);
  await signInWithPassword(page, project, a);
  await page.getByLabel("Two-factor code").fill("000000");
  await page.getByRole("button", { name: "Verify code" }).click();
  await expect(page.getByRole("alert")).toHaveText("Please fix the errors below.");
  await expect(page.getByText("Invalid two-factor code.")).toBeVisible();
  await secondStep(page, recovery[0].toUpperCase(), a);

  await page.goto("/-/user_settings/two_factor_auth");
  await hydrated(page, project);
  await expect(page.getByTestId("two-factor-status")).toContainText("You have 9 unused recovery codes.");
  const disable = page.getByRole("region", { name: "Disable two-factor authentication" });
  await disable.getByLabel("Current password").fill(a.password);
  await disable.getByRole("button", { name: "Disable two-factor authentication" }).click();
  await expect(page.getByText("Two-factor authentication has been disabled.")).toBeVisible();

  // The password alone signs in again.
  await signOut(page);
  await hydrated(page, project);
  await page.getByLabel("Username or email").fill(a.username);
  await page.getByLabel("Password").fill(a.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: `Welcome, ${a.username}` })).toBeVisible();
});

test("the second step without a pending sign-in sends you back", async ({ page }) => {
  await page.goto("/users/two_factor");
  await expect(page.getByText("Your sign-in attempt expired or was never started.")).toBeVisible();
  await page.getByRole("link", { name: "Sign in again" }).click();
  await expect(page).toHaveURL(/\/users\/sign_in$/);
});
