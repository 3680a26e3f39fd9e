// One demo backend for every spec (the performance spec starts its own with 500 symbols).
import { startBackend } from "./backend";

export default async function globalSetup(): Promise<() => Promise<void>> {
  const backend = await startBackend({ seed: "demo" });
  process.env.E2E_BASE_URL = backend.url;
  console.log(`e2e backend: ${backend.url} (data in ${backend.dir})`);
  return backend.stop;
}
