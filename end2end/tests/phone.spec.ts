import { expect, test, type Page } from "@playwright/test";
import { ADMIN, ADMIN_PAGES, SIGNED_OUT_PAGES, hydrated, js, openTokenForm, signIn, signOut } from "./helpers";

const PHONE = { width: 390, height: 844 };

/**
 * Opens `path` and checks that nothing is wider than the screen: a full-page
 * screenshot is as wide as the page scrolls (the document's scrollWidth),
 * and it works without JavaScript, where Playwright cannot evaluate.
 */
async function fitsThePhone(page: Page, project: string, path: string) {
  await page.goto(path);
  await hydrated(page, project);
  const png = await page.screenshot({ fullPage: true });
  const width = png.readUInt32BE(16); // the PNG header's IHDR width
  expect(width, `${path} scrolls sideways`).toBe(PHONE.width);
}

test("no page scrolls sideways on a phone; token rows are cards with every column", async ({ page }, info) => {
  const project = info.project.name;
  await page.setViewportSize(PHONE);
  for (const path of SIGNED_OUT_PAGES) {
    await fitsThePhone(page, project, path);
  }

  await signIn(page, project, ADMIN);
  // A token with a long name, so that its row has something to wrap.
  await page.goto("/-/user_settings/personal_access_tokens");
  await hydrated(page, project);
  await openTokenForm(page);
  await page.getByLabel("Token name").fill(`phone-${project}-a-rather-long-token-name-for-a-narrow-screen`);
  await page.getByLabel("read_api", { exact: true }).check();
  await page.getByRole("button", { name: "Create personal access token" }).click();
  await expect(page.getByTestId("new-token-secret")).toBeVisible();

  for (const path of ADMIN_PAGES) {
    await fitsThePhone(page, project, path);
  }

  // The row shows when it expires and how to revoke it, within the screen.
  await page.goto("/-/user_settings/personal_access_tokens");
  await hydrated(page, project);
  const row = page.getByTestId("active-token").filter({ hasText: `phone-${project}` });
  for (const label of ["Scopes", "Expires"]) {
    await expect(row.locator(`td[data-label="${label}"]`)).toBeVisible();
  }
  const revoke = row.getByRole("link", { name: /^Revoke / });
  await revoke.scrollIntoViewIfNeeded();
  await expect(revoke).toBeInViewport({ ratio: 1 });
  await revoke.click();
  await page.getByTestId("revoke-dialog").getByRole("button", { name: "Revoke" }).click();
  await expect(row).toHaveCount(0);
  await signOut(page);
});

test("dark mode follows the system's setting", async ({ page }, info) => {
  const project = info.project.name;
  // Colours are CSS, the same without JavaScript; reading them needs it.
  if (!js(project)) return;
  await page.goto("/users/sign_in");
  await hydrated(page, project);
  // An element's colours as the sum of their sRGB channels: 0 (black) to
  // 765 (white), whatever notation the browser computes them in.
  const brightness = (selector: string) =>
    page.evaluate((selector) => {
      const el = document.querySelector(selector)!;
      const style = getComputedStyle(el);
      const sum = (color: string) => {
        const ctx = document.createElement("canvas").getContext("2d")!;
        ctx.fillStyle = color;
        ctx.fillRect(0, 0, 1, 1);
        const [r, g, b] = ctx.getImageData(0, 0, 1, 1).data;
        return r + g + b;
      };
      return { background: sum(style.backgroundColor), text: sum(style.color) };
    }, selector);
  const light = await brightness("body");
  expect(light.background).toBeGreaterThan(700);
  expect(light.text).toBeLessThan(150);
  await page.emulateMedia({ colorScheme: "dark" });
  const dark = await brightness("body");
  expect(dark.background).toBeLessThan(100);
  expect(dark.text).toBeGreaterThan(600);
  // The form's card and field are dark too, their text light.
  const field = await brightness("input[name=login]");
  expect(field.text).toBeGreaterThan(600);
  await page.emulateMedia({ colorScheme: "light" });
});
