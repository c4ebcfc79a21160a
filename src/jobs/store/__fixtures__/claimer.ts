/**
 * A worker's queue loop with nothing to run, as its own process: claims jobs from the store until
 * none is left, ending each at once (fenced by its lease, as a real run ends). Prints the ids it
 * claimed as one JSON line. Usage: claimer.ts sqlite HOME | postgres URL [START_AT_MS]
 */
import { setTimeout as sleep } from "node:timers/promises";
import { openDb } from "../../../store/index.ts";
import { PostgresDb } from "../../../store/postgres/db.ts";
import type { SqlDb } from "../../../store/sql.ts";
import { JobStore, newId } from "../index.ts";

const [backend, where, startAt] = process.argv.slice(2);
const db: SqlDb & { close(): void } =
  backend === "postgres" ? new PostgresDb(where ?? "") : openDb(where ?? "");
const store = new JobStore(db);
const worker = newId("worker");
store.queue.registerWorker(worker);
const claimed: string[] = [];
await sleep(Math.max(0, Number(startAt ?? 0) - Date.now())); // start with the other processes
for (;;) {
  const next = store.queue.claim(worker, 30_000);
  if (!next) break;
  claimed.push(next.job.id);
  store.queue.finish(next.job.id, worker, { status: "succeeded" });
}
store.queue.removeWorker(worker);
db.close();
console.log(JSON.stringify({ worker, claimed }));
