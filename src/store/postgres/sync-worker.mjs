// The Postgres connections of a process, in a worker thread that the main thread waits on
// (synckit: Atomics.wait on a SharedArrayBuffer). One pg.Client per PostgresDb, by id.
import pg from "pg";
import { runAsWorker } from "synckit";

// BIGINT and NUMERIC as JavaScript numbers, as better-sqlite3 returns INTEGER and REAL (times in
// milliseconds and counts stay far below 2^53)
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

const clients = new Map();

runAsWorker(async (op) => {
  if (op.kind === "connect") {
    const client = new pg.Client({ connectionString: op.url, application_name: "tailor" });
    await client.connect();
    client.on("error", () => clients.delete(op.id)); // the server went away: the next call says so
    clients.set(op.id, client);
    return null;
  }
  const client = clients.get(op.id);
  if (op.kind === "close") {
    clients.delete(op.id);
    await client?.end();
    return null;
  }
  if (!client) throw new Error("the Postgres connection is closed");
  try {
    const answer = await client.query(op.text, op.values);
    // several statements in one text (a migration) give one result each: the last one answers
    const r = Array.isArray(answer) ? answer.at(-1) : answer;
    return { rows: r?.rows ?? [], rowCount: r?.rowCount ?? 0 };
  } catch (e) {
    // plain fields survive the thread boundary; pg's error object does not
    throw Object.assign(new Error(e.message), { code: e.code, detail: e.detail });
  }
});
