// Measures Forgekey's pages as a phone on a slow network gets them.
//
//   node scripts/pages/bench-pages.mjs BASE_URL USERNAME PASSWORD
//
// Signs in once in Debian's Chromium (a persistent profile, so the session
// cookie is the browser's), then for each page:
// - Lighthouse 13 (its default: mobile, simulated slow 4G), reporting the
//   performance, accessibility and best-practices scores, LCP and the bytes
//   transferred on a first visit (Lighthouse empties the cache first);
// - a second visit in the same browser, counting the bytes that crossed
//   the network (what the cache did not serve).
// Prints one line a page and exits non-zero if a goal is missed.

import lighthouse from "lighthouse";
import { createRequire } from "node:module";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Playwright comes with the browser tests (end2end/), not with this script.
const require = createRequire(new URL("../../end2end/package.json", import.meta.url));
const { chromium } = require("playwright-core");

const [base, username, password] = process.argv.slice(2);
if (!base || !username || !password) {
  console.error("usage: bench-pages.mjs BASE_URL USERNAME PASSWORD");
  process.exit(2);
}

const PAGES = [
  { name: "sign-in", path: "/users/sign_in", signedIn: false },
  { name: "access-tokens", path: "/-/user_settings/personal_access_tokens", signedIn: true },
  { name: "admin-users", path: "/admin/users", signedIn: true },
];
const GOALS = { performance: 0.95, accessibility: 1, "best-practices": 1 };
// The goals are in kilobytes of 1,000 bytes (stricter than KiB).
const FIRST_VISIT_LIMIT = 300_000; // the Access Tokens page
const SECOND_VISIT_LIMIT = 20_000;
const PORT = Number(process.env.FORGEKEY_PAGES_DEBUG_PORT ?? 9333);

const profile = mkdtempSync(join(tmpdir(), "forgekey-pages-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: [
    `--remote-debugging-port=${PORT}`,
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

/** Bytes that crossed the network while loading `url` in `page`. */
async function transferred(page, url) {
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  let bytes = 0;
  cdp.on("Network.loadingFinished", (e) => {
    bytes += e.encodedDataLength;
  });
  await page.goto(url, { waitUntil: "networkidle" });
  await cdp.detach();
  return bytes;
}

async function signIn() {
  const page = await context.newPage();
  await page.goto(`${base}/users/sign_in`);
  await page.getByLabel("Username or email").fill(username);
  await page.getByLabel("Password").fill(password);
  await Promise.all([
    page.waitForURL((u) => !u.pathname.startsWith("/users/sign_in")),
    page.getByRole("button", { name: "Sign in" }).click(),
  ]);
  await page.close();
}

let failed = 0;
const kb = (n) => `${(n / 1000).toFixed(0)} KB`;
for (const { name, path, signedIn } of PAGES) {
  if (signedIn) {
    await signIn();
  }
  const url = `${base}${path}`;
  const { lhr } = await lighthouse(url, {
    port: PORT,
    output: "json",
    logLevel: "error",
    onlyCategories: Object.keys(GOALS),
  });
  if (lhr.runtimeError) {
    console.log(`${name}: Lighthouse failed: ${lhr.runtimeError.message}`);
    failed += 1;
    continue;
  }
  if (new URL(lhr.finalDisplayedUrl).pathname !== path) {
    console.log(`${name}: landed on ${lhr.finalDisplayedUrl}, not ${path}`);
    failed += 1;
  }
  // FORGEKEY_PAGES_REPORTS=dir keeps each page's full Lighthouse report.
  if (process.env.FORGEKEY_PAGES_REPORTS) {
    writeFileSync(join(process.env.FORGEKEY_PAGES_REPORTS, `${name}.json`), JSON.stringify(lhr));
  }
  const scores = Object.fromEntries(
    Object.keys(GOALS).map((c) => [c, lhr.categories[c].score]),
  );
  const firstVisit = lhr.audits["total-byte-weight"].numericValue;
  const lcp = lhr.audits["largest-contentful-paint"].numericValue;
  // A second visit: everything the first one cached comes from the cache.
  const page = await context.newPage();
  await page.goto(url, { waitUntil: "networkidle" });
  const secondVisit = await transferred(page, url);
  await page.close();
  const misses = [];
  for (const [category, goal] of Object.entries(GOALS)) {
    if (scores[category] < goal) misses.push(`${category} < ${goal}`);
  }
  if (name === "access-tokens" && firstVisit > FIRST_VISIT_LIMIT) {
    misses.push(`first visit > ${kb(FIRST_VISIT_LIMIT)}`);
  }
  if (secondVisit > SECOND_VISIT_LIMIT) misses.push(`second visit > ${kb(SECOND_VISIT_LIMIT)}`);
  failed += misses.length;
  console.log(
    `${name}: performance ${scores.performance} accessibility ${scores.accessibility} ` +
      `best-practices ${scores["best-practices"]} LCP ${(lcp / 1000).toFixed(1)} s ` +
      `first visit ${kb(firstVisit)} second visit ${kb(secondVisit)}` +
      (misses.length ? `  MISSED: ${misses.join(", ")}` : ""),
  );
}

await context.close();
rmSync(profile, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
