import { expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { account, hydrated, openTokenForm, signUp } from "./helpers";

/** Runs git with no prompt and no stored credentials. */
function git(cwd: string, ...args: string[]) {
  return execFileSync("git", ["-c", "credential.helper=", ...args], {
    cwd,
    env: { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_CONFIG_NOSYSTEM: "1", HOME: cwd,
      GIT_AUTHOR_NAME: "T", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "T", GIT_COMMITTER_EMAIL: "t@example.com" },
    stdio: ["ignore", "pipe", "pipe"],
  }).toString();
}

test("create a project, push and clone it with a token", async ({ page }, info) => {
  const project = info.project.name;
  const a = account(project);
  await signUp(page, project, a);
  await page.getByTestId("user-menu").click();
  await page.getByRole("link", { name: "Projects", exact: true }).click();
  await expect(page).toHaveURL(/\/projects$/);
  await hydrated(page, project);
  await expect(page.getByText("You have no projects yet.")).toBeVisible();

  await page.getByLabel("Project name").fill("Tools 2");
  await page.getByLabel("Public").check();
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Project 'Tools 2' was successfully created." })).toBeVisible();
  const item = page.getByTestId("project");
  await expect(item).toContainText(`${a.username}/tools-2`);
  await expect(item).toContainText("public");
  const cloneUrl = (await page.getByTestId("clone-url").innerText()).replace(/^git clone /, "").trim();
  expect(cloneUrl).toMatch(new RegExp(`/${a.username}/tools-2\\.git$`));

  // The same name again: a clear error, the form kept.
  await page.getByLabel("Project name").fill("tools 2");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByText("Path has already been taken.")).toBeVisible();
  await expect(page.getByLabel("Project name")).toHaveValue("tools 2");

  // A write_repository token from the tokens page pushes; anyone clones.
  await page.goto("/-/user_settings/personal_access_tokens");
  await hydrated(page, project);
  await openTokenForm(page);
  await page.getByLabel("Token name").fill("git");
  await page.getByLabel("write_repository", { exact: true }).check();
  await page.getByRole("button", { name: "Create personal access token" }).click();
  const secret = (await page.getByTestId("new-token-secret").inputValue()).trim();

  const dir = mkdtempSync(join(tmpdir(), "forgekey-e2e-"));
  const withToken = cloneUrl.replace("://", `://${a.username}:${secret}@`);
  git(dir, "clone", withToken, "work");
  writeFileSync(join(dir, "work", "README"), "hello\n");
  git(join(dir, "work"), "add", "README");
  git(join(dir, "work"), "commit", "-q", "-m", "first");
  git(join(dir, "work"), "push", "-q", "origin", "HEAD:main");
  git(dir, "clone", cloneUrl, "anonymous");
  expect(readFileSync(join(dir, "anonymous", "README"), "utf8")).toBe("hello\n");
});
