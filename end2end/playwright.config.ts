import { defineConfig } from "@playwright/test";

// Every spec runs twice: with JavaScript (hydrated) and without (plain
// server-rendered forms).
const launchOptions = {
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
};

export default defineConfig({
  testDir: "./tests",
  globalSetup: "./global-setup.ts",
  timeout: 60_000,
  workers: 1,
  retries: 0,
  use: {
    baseURL: process.env.FORGEKEY_URL ?? "http://127.0.0.1:3100",
    launchOptions,
    trace: "off",
  },
  projects: [
    { name: "js", use: { javaScriptEnabled: true } },
    { name: "no-js", use: { javaScriptEnabled: false } },
  ],
});
