// The server is started by scripts/test.sh; wait until it answers.
export default async function globalSetup() {
  const base = process.env.FORGEKEY_URL ?? "http://127.0.0.1:3100";
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${base}/-/liveness`);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Forgekey did not start at ${base}`);
}
