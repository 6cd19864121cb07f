import { expect, test } from "@playwright/test";
import { createHash } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ADMIN, account, hydrated, openTokenForm, signIn, signOut, signUp } from "./helpers";

// scripts/test.sh starts Forgekey with --registry-addr at this address.
const REGISTRY = process.env.FORGEKEY_E2E_REGISTRY ?? "127.0.0.1:5050";

/** A one-layer OCI image layout holding hello.txt with `text`. */
function ociImage(dir: string, text: string) {
  const blobs = join(dir, "blobs", "sha256");
  mkdirSync(blobs, { recursive: true });
  const put = (bytes: Buffer) => {
    const digest = createHash("sha256").update(bytes).digest("hex");
    writeFileSync(join(blobs, digest), bytes);
    return { digest: `sha256:${digest}`, size: bytes.length };
  };
  const files = mkdtempSync(join(tmpdir(), "forgekey-layer-"));
  writeFileSync(join(files, "hello.txt"), text);
  execFileSync("tar", ["--owner=0", "--group=0", "--mtime=@0", "-C", files, "-cf", join(files, "layer.tar"), "hello.txt"]);
  const layer = put(readFileSync(join(files, "layer.tar")));
  const config = put(Buffer.from(JSON.stringify({
    architecture: "amd64", os: "linux", config: {}, rootfs: { type: "layers", diff_ids: [layer.digest] },
  })));
  const manifest = put(Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", ...layer }],
  })));
  writeFileSync(join(dir, "index.json"), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", ...manifest,
      annotations: { "org.opencontainers.image.ref.name": "1" } }],
  }));
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
}

/** skopeo copy with no stored credentials; whether it worked, and what it said. */
function skopeo(home: string, from: string, to: string, creds?: string) {
  const side = to.startsWith("docker://") ? "dest" : "src";
  const args = ["--insecure-policy", "copy", "--quiet", "--src-tls-verify=false", "--dest-tls-verify=false",
    ...(creds ? [`--${side}-creds`, creds] : [`--${side}-no-creds`]), from, to];
  const run = spawnSync("skopeo", args, { env: { ...process.env, HOME: home, XDG_RUNTIME_DIR: home } });
  return { ok: run.status === 0, said: `${run.stderr}${run.stdout}` };
}

test("an administrator turns the registry on; a token pushes and pulls an image", async ({ page }, info) => {
  const project = info.project.name;
  // Both projects turn it on at the same address: the same outcome.
  await signIn(page, project, ADMIN);
  await page.goto("/admin/application_settings");
  await hydrated(page, project);
  const form = page.getByRole("form", { name: "Container registry" });
  await form.getByLabel("Enable the container registry").check();
  await form.getByLabel("Registry address").fill("");
  await form.getByRole("button", { name: "Save registry settings" }).click();
  await expect(page.getByText("Give the registry's address (host or host:port) to turn it on.")).toBeVisible();
  await expect(form.getByLabel("Enable the container registry")).toBeChecked();
  await form.getByLabel("Registry address").fill(REGISTRY);
  await form.getByRole("button", { name: "Save registry settings" }).click();
  await expect(page.getByRole("status").filter({ hasText: "The container registry settings were saved." })).toBeVisible();
  await expect(form.getByLabel("Registry address")).toHaveValue(REGISTRY);
  await signOut(page);

  // A user: the registry scopes are offered, with what they grant.
  const a = account(project);
  await signUp(page, project, a);
  await page.goto("/projects");
  await hydrated(page, project);
  await page.getByLabel("Project name").fill("images");
  await page.getByRole("button", { name: "Create project" }).click();
  const path = `${REGISTRY}/${a.username}/images`;
  await expect(page.getByTestId("image-path")).toHaveText(path);
  await expect(page.getByTestId("registry-commands")).toContainText(`docker push ${path}/app:1`);

  await page.goto("/-/user_settings/personal_access_tokens");
  await hydrated(page, project);
  await openTokenForm(page);
  await expect(page.locator("#scope-read_registry-description")).toContainText("container registry");
  await page.getByLabel("Token name").fill("images");
  await page.getByLabel("write_registry", { exact: true }).check();
  await page.getByRole("button", { name: "Create personal access token" }).click();
  const secret = (await page.getByTestId("new-token-secret").inputValue()).trim();

  // The registry Forgekey started takes the token: push, then pull back.
  const dir = mkdtempSync(join(tmpdir(), "forgekey-e2e-registry-"));
  ociImage(join(dir, "image"), `hello from ${a.username}\n`);
  const image = `docker://${path}/web:1`;
  let pushed = { ok: false, said: "" };
  // The registry starts within seconds of being turned on.
  for (let i = 0; i < 20 && !pushed.ok; i++) {
    pushed = skopeo(dir, `oci:${join(dir, "image")}:1`, image, `${a.username}:${secret}`);
    if (!pushed.ok) await page.waitForTimeout(500);
  }
  expect(pushed.ok, pushed.said).toBe(true);
  const pulled = skopeo(dir, image, `oci:${join(dir, "back")}:1`, `${a.username}:${secret}`);
  expect(pulled.ok, pulled.said).toBe(true);
  // Anonymous clients may not pull a private project's image.
  const anonymous = skopeo(dir, image, `oci:${join(dir, "anonymous")}:1`);
  expect(anonymous.ok, anonymous.said).toBe(false);
});
