import { expect, test, type Response } from "@playwright/test";
import { hydrated, js } from "./helpers";

// What a browser downloads: the front end's files carry content hashes in
// their names, come precompressed (brotli), and are kept a year; pages are
// compressed and never cached.
test("front-end files are hashed, precompressed and kept; pages are not cached", async ({ page }, info) => {
  const project = info.project.name;
  const assets: Response[] = [];
  page.on("response", (r) => {
    if (new URL(r.url()).pathname.startsWith("/pkg/")) assets.push(r);
  });
  const html = await page.goto("/users/sign_in");
  await hydrated(page, project);
  expect(html?.headers()["cache-control"]).toBe("no-store");
  expect(html?.headers()["content-encoding"]).toMatch(/^(br|gzip)$/);

  const names = assets.map((r) => new URL(r.url()).pathname);
  // The stylesheet always; the script and the WebAssembly with JavaScript on.
  const wanted = js(project) ? ["css", "js", "wasm"] : ["css"];
  for (const ext of wanted) {
    const found = assets.find((r) => new RegExp(`^/pkg/forgekey\\.[\\w-]+\\.${ext}$`).test(new URL(r.url()).pathname));
    expect(found, `a hashed .${ext} among ${names.join(", ")}`).toBeTruthy();
    const headers = found!.headers();
    expect(headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(headers["content-encoding"]).toBe("br");
  }
  // No unhashed name is asked for.
  expect(names.filter((n) => /^\/pkg\/forgekey\.(css|js|wasm)$/.test(n))).toEqual([]);
});
