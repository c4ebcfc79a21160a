/**
 * Jobs with the real engine, the tiny model and a real SQLite file: the lifecycle, a killed engine
 * resumed from its checkpoint, cancel and resume, the overfitting guard, and "auto" hyperparameters.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { CANNED, chatLine, cliSandbox, until } from "../cli/__fixtures__/cli.ts";
import { openServices } from "../services/index.ts";
import { resolveHyperparameters } from "../training/index.ts";
import { createJob, type JobStore, resolveCheckpoint, Worker } from "./index.ts";

const { home, file, tiny } = cliSandbox("tailor-jobs-", { HF_HUB_OFFLINE: "1" });
const svc = openServices(home);
const lines = (n: number, answer: (i: number) => string = () => CANNED) =>
  `${Array.from({ length: n }, (_, i) => chatLine(`Question ${i} about my bike?`, answer(i))).join("\n")}\n`;

function curve(store: JobStore, id: string): { step: number; loss: number }[] {
  return store.events
    .list(id)
    .filter((e) => e.type === "metrics")
    .map((e) => ({ step: e.data.step as number, loss: e.data.train_loss as number }));
}

describe("fine-tuning jobs with the real engine", () => {
  before(() => tiny());

  test("lifecycle: queued -> running -> succeeded, every step recorded, the model registered", async () => {
    const job = await createJob(svc, {
      base: "tiny",
      data: file("l.jsonl", lines(16)),
      epochs: 2,
      learningRate: 0.01,
    });
    assert.equal(job.status, "queued");
    assert.equal(job.spec.validation.source, "none"); // 16 < 30: nothing is held out
    assert.equal(job.spec.early_stopping_patience, 0);
    const worker = new Worker({ services: svc });
    const done = await worker.runNext();
    worker.close();
    assert.equal(done?.status, "succeeded", JSON.stringify(done?.error));
    assert.equal(done?.fine_tuned_model, job.model_name);
    assert.equal(done?.attempts, 1);
    const store = svc.jobs;
    const events = store.events.list(job.id);
    assert.deepEqual(
      curve(store, job.id).map((p) => p.step),
      Array.from({ length: 8 }, (_, i) => i + 1),
    );
    assert.equal(events.at(-1)?.type, "completed");
    assert.equal(events.at(-1)?.data.model, job.model_name);
    assert.match(events[0]?.message ?? "", /created: tiny on 16 examples/);
    for (const key of ["train_loss", "learning_rate", "tokens_per_second", "grad_norm"])
      assert.equal(typeof events.find((e) => e.type === "metrics")?.data[key], "number", key);
    const manifest = svc.models.get(job.model_name)?.manifest;
    assert.equal(manifest?.kind === "fine_tuned" && manifest.training.job_id, job.id);
    assert.equal(store.events.checkpoints(job.id).length, 2); // one per epoch
  });

  test("a killed engine is noticed, the job resumes from its checkpoint, and the loss curve matches an uninterrupted run", async () => {
    const data = file(
      "k.jsonl",
      lines(24, (i) => `Answer number ${i % 4}.`),
    );
    const opts = {
      base: "tiny",
      data,
      epochs: 3,
      batchSize: 1,
      learningRate: 0.005,
      checkpointEverySteps: 8,
    };
    const store = svc.jobs;

    const reference = await createJob(svc, opts);
    const w1 = new Worker({ services: svc });
    assert.equal((await w1.runNext(reference.id))?.status, "succeeded");

    const job = await createJob(svc, opts);
    const w2 = new Worker({ services: svc });
    const running = w2.run({ once: true });
    await until(() => store.events.checkpoints(job.id).length > 0, 60_000, "the first checkpoint");
    const pid = store.get(job.id).engine_pid;
    assert.ok(pid, "the engine's pid is recorded");
    process.kill(pid, "SIGKILL");
    await running;
    w1.close();

    const after = store.get(job.id);
    assert.equal(after.status, "succeeded", JSON.stringify(after.error));
    assert.equal(after.attempts, 2);
    const messages = store.events.list(job.id).map((e) => e.message);
    assert.ok(
      messages.some((m) => /the engine died at step \d+ .*queued again/.test(m)),
      messages.join("\n"),
    );
    assert.ok(
      messages.some((m) => /resuming from the checkpoint at step 8/.test(m)),
      messages.join("\n"),
    );
    const resumed = curve(store, job.id);
    const uninterrupted = curve(store, reference.id);
    assert.deepEqual(
      resumed.map((p) => p.step),
      uninterrupted.map((p) => p.step),
    ); // one point per step
    for (const [i, p] of resumed.entries())
      assert.ok(
        Math.abs(p.loss - (uninterrupted[i]?.loss ?? Number.NaN)) < 1e-3 * Math.max(1, p.loss),
        `step ${p.step}`,
      );
  });

  test("cancel stops a running job at a step and keeps its checkpoint; resume finishes it", async () => {
    const job = await createJob(svc, {
      base: "tiny",
      data: file("c.jsonl", lines(20)),
      epochs: 4,
      batchSize: 1,
    });
    const store = svc.jobs;
    const worker = new Worker({ services: svc });
    const running = worker.runNext(job.id);
    await until(() => curve(store, job.id).length >= 3, 60_000, "three steps");
    assert.equal(store.requestCancel(job.id).cancel_requested, true);
    const cancelled = await running;
    assert.equal(cancelled?.status, "cancelled");
    const stoppedAt = curve(store, job.id).at(-1)?.step ?? 0;
    assert.ok(stoppedAt < 80, `stopped at step ${stoppedAt} of 80`);
    assert.equal(store.events.checkpoints(job.id)[0]?.step, stoppedAt);
    assert.match(
      store.events.list(job.id).at(-1)?.message ?? "",
      /cancelled at step \d+; .*tailor jobs resume/,
    );
    assert.throws(() => store.requestCancel(job.id), /already cancelled/);

    store.resume(job.id);
    const done = await worker.runNext(job.id);
    worker.close();
    assert.equal(done?.status, "succeeded");
    assert.deepEqual(
      curve(store, job.id).map((p) => p.step),
      Array.from({ length: 80 }, (_, i) => i + 1),
    );
  });

  test("the overfitting guard stops early and makes the best checkpoint the model", async () => {
    const train = file("o-train.jsonl", lines(16));
    const val = file(
      "o-val.jsonl",
      `${["No, Sundays we are closed.", "We only sell bicycles.", "A tune-up costs 49 euros."]
        .map((a, i) => chatLine(`Other question ${i}?`, a))
        .join("\n")}\n`,
    );
    const job = await createJob(svc, {
      base: "tiny",
      data: train,
      val,
      epochs: 25,
      learningRate: 0.01,
    });
    assert.equal(job.spec.validation.source, "file");
    assert.equal(job.spec.early_stopping_patience, 3);
    const worker = new Worker({ services: svc });
    const done = await worker.runNext(job.id);
    worker.close();
    assert.equal(done?.status, "succeeded", JSON.stringify(done?.error));
    const result = done?.result;
    assert.ok(result?.stopped_early, "stopped early");
    assert.ok((result?.steps ?? 100) < 100);
    const store = svc.jobs;
    const evals = store.events.list(job.id).filter((e) => e.type === "evaluation");
    const best = evals.reduce((a, b) =>
      (b.data.val_loss as number) < (a.data.val_loss as number) ? b : a,
    );
    assert.equal(result?.model_step, best.data.step);
    assert.match(result?.summary ?? "", /overfitting guard stopped the run/);
    const ckpt = resolveCheckpoint(svc.jobs, `${job.id}:step-${result?.model_step}`);
    const modelDir = svc.models.modelDir(job.model_name);
    assert.deepEqual(
      readFileSync(join(modelDir, "adapter_model.safetensors")),
      readFileSync(join(ckpt?.adapterDir ?? "", "adapter_model.safetensors")),
    );
  });

  test("auto epochs follow OpenAI's rule for 5, 50, 5,000 and 50,000 examples, and say why", async () => {
    // 5 examples are below the minimum of 10, so such a job is refused; "auto" is still defined for them
    await assert.rejects(
      createJob(svc, {
        base: "tiny",
        data: file(
          "auto-5.jsonl",
          lines(5, (i) => `Reply ${i}.`),
        ),
      }),
      /has 1 error\(s\); nothing was stored/,
    );
    assert.match(
      resolveHyperparameters({}, 5).explanations[0] ?? "",
      /epochs: 20 \(auto: 5 examples, so 20 passes to see ~100 examples\)/,
    );
    const expected: [number, number, RegExp][] = [
      [12, 9, /epochs: 9 \(auto: 12 examples, so 9 passes to see ~100 examples\)/],
      [50, 3, /epochs: 3 \(auto: 45 examples: the usual 3 passes\)/],
      [5000, 3, /epochs: 3 \(auto: 4500 examples: the usual 3 passes\)/],
      [50_000, 1, /epochs: 1 \(auto: 49000 examples, so 1 pass to see at most ~25,000\)/],
    ];
    for (const [n, epochs, why] of expected) {
      const job = await createJob(svc, {
        base: "tiny",
        data: file(
          `auto-${n}.jsonl`,
          lines(n, (i) => `Reply ${i}.`),
        ),
      });
      assert.equal(job.spec.hyperparameters.epochs, epochs, `${n} examples`);
      assert.match(job.spec.hyperparameters.explanations[0] ?? "", why);
      const store = svc.jobs;
      store.requestCancel(job.id); // not run: only the plan is checked
    }
  });
});
