// PGlite (Postgres compiled to WASM, in memory) with the pgvector extension, served on a TCP port by
// pglite-socket, in a worker thread: the stores' PostgresDb blocks the main thread while it waits for
// an answer, so the server must not run there. Posts { port } when it listens; stops on "stop".
import { parentPort } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

const db = await PGlite.create({ extensions: { vector } });
// several connections at once (an admin one and the store's), their queries queued by the server
const server = new PGLiteSocketServer({ db, port: 0, host: "127.0.0.1", maxConnections: 8 });
await server.start();
const port = Number(server.getServerConn().split(":").at(-1));
parentPort?.on("message", async (m) => {
  if (m !== "stop") return;
  await server.stop();
  await db.close();
  parentPort?.postMessage("stopped");
});
parentPort?.postMessage({ port });
