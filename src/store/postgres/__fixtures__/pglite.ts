/**
 * A Postgres server with pgvector for tests: PGlite (Postgres compiled to WASM, in memory, with its
 * pgvector build) behind pglite-socket, which speaks Postgres' wire protocol on a free port, so that
 * `pg` and PostgresDb connect to it as to any server. It runs in a worker thread (./pglite-worker.mjs)
 * because PostgresDb blocks the main thread while it waits. One database (`postgres`); several
 * connections at once, their statements queued. Starting takes seconds (PGlite makes its cluster).
 */
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

export interface TestPglite {
  /** The URL of its database (the name in the URL is not looked at: there is one). */
  url: string;
  stop(): Promise<void>;
}

const WORKER = fileURLToPath(new URL("./pglite-worker.mjs", import.meta.url));

export async function startPglite(): Promise<TestPglite> {
  const worker = new Worker(WORKER);
  const port = await new Promise<number>((resolve, reject) => {
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the PGlite worker exited (${code})`)));
    worker.once("message", (m: { port: number }) => resolve(m.port));
  });
  worker.removeAllListeners("exit");
  worker.removeAllListeners("error");
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      const stopped = new Promise((resolve) => worker.once("message", resolve));
      worker.postMessage("stop");
      await stopped;
      await worker.terminate();
    },
  };
}
