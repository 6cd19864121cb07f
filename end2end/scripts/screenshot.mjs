// Takes the README screenshot of a page of a running Forgekey:
//   node scripts/screenshot.mjs http://127.0.0.1:3100/users/sign_in ../docs/screenshot.png
import { chromium } from "@playwright/test";

const [url, out] = process.argv.slice(2);
if (!url || !out) {
  console.error("usage: node scripts/screenshot.mjs URL OUTPUT.png");
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu"],
});
const page = await browser.newPage({ viewport: { width: 1100, height: 640 } });
await page.goto(url);
await page.locator("body[data-hydrated=true]").waitFor();
await page.screenshot({ path: out });
await browser.close();
