// A REAL backend for the browser tests: `atp migrate` + `atp run` (or `atp api`) on a fresh
// SQLite database in a temp dir, on a free port, serving the built export (frontend/out).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

export const API_TOKEN = "e2e-token-0123456789abcdef";
const REPO = path.resolve(__dirname, "..", "..");
const ATP = process.env.ATP_BIN ?? path.join(REPO, ".venv", "bin", "atp");
const PYTHON = path.join(path.dirname(ATP), "python");
export const EXPORT_DIR = path.join(REPO, "frontend", "out");

export type Backend = { url: string; dir: string; stop: () => Promise<void> };

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function environment(dir: string, port: number, extra: Record<string, string>): NodeJS.ProcessEnv {
  // Only what the backend needs: no Telegram or database settings leak in from the caller.
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? dir,
    LANG: "C.UTF-8",
    NODE_ENV: "test",
    ATP_DATA_DIR: dir,
    API_HOST: "127.0.0.1",
    API_PORT: String(port),
    ATP_API_TOKEN: API_TOKEN,
    DASHBOARD_DIR: EXPORT_DIR,
    LOG_LEVEL: "WARNING",
    ...extra,
  };
}

async function waitUntil(check: () => Promise<boolean>, what: string, child: ChildProcess, log: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the backend exited (${child.exitCode}) before ${what}; see ${log}`);
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}; see ${log}`);
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): void {
  const result = spawnSync(command, args, { env, cwd, encoding: "utf-8" });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${result.stderr || result.error}`);
}

type Options = {
  /** "demo": `atp run` with the replay feed and the demo watchlist (the newcomer's setup).
   *  "symbols500": 500 seeded symbols (bench/api_load.py's seed), served by `atp api`. */
  seed: "demo" | "symbols500";
};

export async function startBackend({ seed }: Options): Promise<Backend> {
  const dir = mkdtempSync(path.join(tmpdir(), `atp-e2e-${seed}-`));
  const port = await freePort();
  const env = environment(dir, port, {
    MARKET_SOURCE: "replay",
    MARKET_INTERVAL_SECONDS: "5",
    MONITOR_INTERVAL_SECONDS: "5",
    API_WORKERS: "1",
  });
  const logFile = path.join(dir, "backend.log");
  if (seed === "symbols500") {
    run(PYTHON, [path.join(__dirname, "seed_symbols.py"), `sqlite:///${dir}/atp.sqlite3`, "500", dir], env, dir);
  } else {
    run(ATP, ["migrate"], env, dir);
  }
  const log = openSync(logFile, "a");
  const args = seed === "demo" ? ["run"] : ["api", "--workers", "1"];
  const child = spawn(ATP, args, { env, cwd: dir, stdio: ["ignore", log, log] });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
    if (!process.env.E2E_KEEP_BACKEND) rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil(async () => (await fetch(`${url}/api/health/ready`)).ok, "the API to be ready", child, logFile);
    if (seed === "demo") {
      // The demo watchlist is seeded and evaluated once: the pages have something to show.
      await waitUntil(async () => {
        const state = (await (await fetch(`${url}/api/dashboard`)).json()) as { watchlist: { signal_side: string | null }[] };
        return state.watchlist.length >= 6 && state.watchlist.every((row) => row.signal_side !== null);
      }, "the demo watchlist's first evaluation", child, logFile);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, dir, stop };
}
