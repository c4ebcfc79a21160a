/**
 * Several machines, one Tailor: two workers, each with its own home, share one Postgres
 * (TAILOR_DATABASE_URL, a real server started here) and one shared folder (TAILOR_SHARED_DIR) for
 * the examples, models and checkpoints. They take jobs from the same queue; one is killed with
 * SIGKILL mid-job, and the other takes its job over when the lease expires and resumes it from the
 * checkpoint the first one wrote. The real CLI, worker and engine, on the tiny model.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { JobStore } from "../jobs/store/index.ts";
import { startPostgres, type TestPostgres } from "../store/postgres/__fixtures__/embedded.ts";
import { PostgresDb } from "../store/postgres/db.ts";
import { chatLine, cliSandbox, startWorkerWith, until } from "./__fixtures__/cli.ts";

const env: NodeJS.ProcessEnv = { HF_HUB_OFFLINE: "1" };
const a = cliSandbox("tailor-cli-pg-a-", env);
const b = cliSandbox("tailor-cli-pg-b-", env);
const shared = mkdtempSync(join(tmpdir(), "tailor-cli-shared-"));
let server: TestPostgres | null = null;
let db: PostgresDb | null = null;

before(async () => {
  server = await startPostgres();
  env.TAILOR_DATABASE_URL = await server.database("tailor_two");
  env.TAILOR_SHARED_DIR = shared;
  a.tiny(); // into the shared folder, where both homes' registries look
});
after(async () => {
  db?.close();
  await server?.stop();
  rmSync(shared, { recursive: true, force: true });
});

describe("two workers on one Postgres and one shared folder", () => {
  test("they share the queue; a worker killed with SIGKILL has its job resumed by the other", async () => {
    const data = a.file(
      "shared.jsonl",
      `${Array.from({ length: 12 }, (_, i) => chatLine(`shared question ${i}?`, `Answer ${i % 4}.`)).join("\n")}\n`,
    );
    const ids = [1, 2, 3].map((n) => {
      const made = a.tailor(
        "train",
        "--base",
        "tiny",
        "--data",
        data,
        "--epochs",
        "2",
        "--batch-size",
        "1",
        "--checkpoint-every",
        "5",
        "--name",
        `shared-${n}`,
      );
      assert.equal(made.code, 0, made.stderr);
      return made.stdout.trim().split("\n").at(-1) ?? "";
    });
    assert.equal(existsSync(join(a.home, "tailor.db")), false, "the store is on Postgres");
    // home B sees the jobs home A created: one store
    const listed = JSON.parse(b.tailor("jobs", "list", "--json").stdout) as { id: string }[];
    assert.deepEqual(listed.map((j) => j.id).sort(), [...ids].sort());

    db = new PostgresDb(env.TAILOR_DATABASE_URL ?? "");
    const store = new JobStore(db);
    const first = startWorkerWith(env, a.home, "--lease-seconds", "3");
    const second = startWorkerWith(env, b.home, "--lease-seconds", "3");
    let killed = "";
    const workerId = (w: typeof first) => /worker (worker-\w+) is waiting/.exec(w.output())?.[1];
    try {
      await until(() => Boolean(workerId(first) && workerId(second)), 60_000, "both workers");
      const workers = JSON.parse(b.tailor("workers", "--json").stdout) as { id: string }[];
      assert.deepEqual(workers.map((w) => w.id).sort(), [workerId(first), workerId(second)].sort());
      // the first worker's job, once it has a checkpoint in the shared folder
      const killedJob = () =>
        ids.find(
          (id) =>
            store.get(id).worker === workerId(first) && store.events.checkpoints(id).length > 0,
        );
      await until(() => Boolean(killedJob()), 180_000, "a checkpoint of the first worker's job");
      killed = killedJob() ?? "";
      first.kill("SIGKILL");
      await once(first, "exit");
      await until(
        () =>
          ids.every((id) => ["succeeded", "failed", "cancelled"].includes(store.get(id).status)),
        420_000,
        "every job to end",
      );
    } finally {
      if (first.exitCode === null && first.signalCode === null) first.kill("SIGKILL");
      second.kill("SIGINT");
      if (second.exitCode === null) await once(second, "exit");
    }

    const starters = new Set<string>();
    for (const id of ids) {
      const job = store.get(id);
      assert.equal(job.status, "succeeded", `${id}: ${JSON.stringify(job.error)}`);
      const events = store.events.list(id);
      for (const e of events.filter((e) => e.message.startsWith("started by worker")))
        starters.add(String(e.data.worker));
      const steps = events.filter((e) => e.type === "metrics").map((e) => e.data.step);
      assert.deepEqual(
        steps,
        Array.from({ length: 24 }, (_, i) => i + 1),
        `${id}: a continuous curve`,
      );
      const messages = events.map((e) => e.message).join("\n");
      if (job.attempts === 2) {
        assert.match(messages, /stopped answering; taken over by worker/);
        assert.match(messages, /resuming from the checkpoint at step \d+/);
      }
    }
    assert.equal(starters.size, 2, "both workers took jobs from the queue");
    const resumed = ids.filter((id) => store.get(id).attempts === 2);
    assert.deepEqual(resumed, [killed], "the killed worker's job, and only it, was taken over");

    // the models, runs and examples are in the shared folder, none in either home
    assert.deepEqual(
      readdirSync(join(shared, "models"))
        .filter((n) => n.startsWith("shared-"))
        .sort(),
      ["shared-1", "shared-2", "shared-3"],
    );
    assert.ok(existsSync(join(shared, "runs", resumed[0] ?? "", "checkpoints")));
    assert.equal(existsSync(join(b.home, "models")), false);
    assert.equal(existsSync(join(b.home, "blobs")), false);
    // a model the second worker made answers from the first home
    const answer = a.tailor(
      "generate",
      "shared-3",
      "--prompt",
      "shared question 1?",
      "--max-tokens",
      "8",
    );
    assert.equal(answer.code, 0, answer.stderr);
  });
});
