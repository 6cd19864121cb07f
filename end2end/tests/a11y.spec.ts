import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { ADMIN, ADMIN_PAGES, SIGNED_OUT_PAGES, hydrated, js, signIn, signOut } from "./helpers";

/** axe-core's WCAG 2.x A/AA rules on the page as it stands: no violation. */
async function accessible(page: Page, what: string) {
  const { violations, passes } = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"])
    .analyze();
  expect(passes.length, `axe checked ${what}`).toBeGreaterThan(10);
  const found = violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  expect(found, what).toEqual([]);
}

test("every page passes axe-core, light and dark", async ({ page }, info) => {
  const project = info.project.name;
  // axe runs inside the page, which Playwright cannot do without
  // JavaScript; the markup is the server's either way.
  if (!js(project)) return;
  test.setTimeout(120_000);
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const path of SIGNED_OUT_PAGES) {
      await page.goto(path);
      await hydrated(page, project);
      await accessible(page, `${path} (${scheme})`);
    }
    await signIn(page, project, ADMIN);
    for (const path of ADMIN_PAGES) {
      await page.goto(path);
      await hydrated(page, project);
      await accessible(page, `${path} (${scheme})`);
    }
    await signOut(page);
  }
});
