/**
 * Jobs through `bin/tailor` with real worker processes on one TAILOR_HOME: a queued job run by
 * `tailor worker`, two workers sharing a queue, and a worker killed with SIGKILL whose job another
 * worker takes over and resumes.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { before, describe, test } from "node:test";
import { openServices } from "../services/index.ts";
import { chatLine, cliSandbox, startWorker as startWorkerIn, until } from "./__fixtures__/cli.ts";
import { asyncTailor } from "./__fixtures__/cli-async.ts";

const { home, tailor, file, tiny } = cliSandbox("tailor-cli-jobs-", { HF_HUB_OFFLINE: "1" });
const tailorAsync = asyncTailor(home, { HF_HUB_OFFLINE: "1" });
const data = (n: number, tag: string) =>
  file(
    `${tag}.jsonl`,
    `${Array.from({ length: n }, (_, i) => chatLine(`${tag} question ${i}?`, `Answer ${i % 3}.`)).join("\n")}\n`,
  );

const startWorker = (...args: string[]) => startWorkerIn(home, ...args);

function createJob(...args: string[]): string {
  const r = tailor("train", "--base", "tiny", ...args, "--json");
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { id: string }).id;
}

describe("jobs and workers through the CLI", () => {
  before(() => tiny());

  test("train without --wait queues the job and says how to run it; `tailor worker --once` runs it", async () => {
    const r = tailor(
      "train",
      "--base",
      "tiny",
      "--data",
      data(12, "queued"),
      "--epochs",
      "2",
      "--json",
    );
    assert.equal(r.code, 0, r.stderr);
    const job = JSON.parse(r.stdout) as {
      id: string;
      status: string;
      hyperparameters: { n_epochs: number };
    };
    assert.match(job.id, /^ftjob-[0-9a-f]{24}$/);
    assert.equal(job.status, "queued");
    assert.equal(job.hyperparameters.n_epochs, 2);
    assert.match(r.stderr, /no worker is running: start one with `tailor worker`/);

    const worker = startWorker("--once");
    const [code] = await once(worker, "exit");
    assert.equal(code, 0, worker.output());
    assert.match(worker.output(), new RegExp(`${job.id} succeeded`));

    // what a user looks at afterwards: independent reads, run at once
    const [show, eventsRun, ckptsRun, g, gone, cancel, unknown] = await Promise.all([
      tailorAsync("jobs", "show", job.id, "--json"),
      tailorAsync("jobs", "events", job.id, "--json"),
      tailorAsync("jobs", "checkpoints", job.id, "--json"),
      tailorAsync("generate", `${job.id}:step-3`, "--prompt", "hello", "--max-tokens", "5"),
      tailorAsync("generate", `${job.id}:step-4`, "--prompt", "hello"),
      tailorAsync("jobs", "cancel", job.id),
      tailorAsync("jobs", "show", "ftjob-000000000000000000000000"),
    ]);
    const shown = JSON.parse(show.stdout) as {
      status: string;
      fine_tuned_model: string;
      tailor: { explanations: string[] };
    };
    assert.equal(shown.status, "succeeded");
    assert.ok(shown.tailor.explanations.some((l) => /epochs: 2 \(set by you\)/.test(l)));
    const events = eventsRun.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string });
    assert.equal(events.filter((e) => e.type === "metrics").length, 6); // 12 examples / 4 * 2 epochs
    assert.equal(events.at(-1)?.type, "completed");

    const ckpts = JSON.parse(ckptsRun.stdout) as { model: string }[];
    assert.deepEqual(
      ckpts.map((c) => c.model),
      [`${job.id}:step-6`, `${job.id}:step-3`],
    );
    assert.equal(g.code, 0, g.stderr);
    assert.equal(gone.code, 5);
    assert.match(gone.stderr, /no checkpoint/);

    assert.equal(cancel.code, 12);
    assert.match(cancel.stderr, /already succeeded/);
    assert.equal(unknown.code, 3);
  });

  test("two workers on one store run four jobs, each exactly once", async () => {
    const ids = [1, 2, 3, 4].map((i) => createJob("--data", data(12, `pair${i}`), "--epochs", "1"));
    const workers = [startWorker("--once"), startWorker("--once")];
    await Promise.all(workers.map((w) => once(w, "exit")));
    const svc = openServices(home);
    const store = svc.jobs;
    const ranBy = new Map<string, number>();
    for (const id of ids) {
      const job = store.get(id);
      assert.equal(job.status, "succeeded", id);
      assert.equal(job.attempts, 1, `${id} was started once`);
      const starts = store.events.list(id).filter((e) => e.message.startsWith("started by worker"));
      assert.equal(starts.length, 1);
      const w = String(starts[0]?.data.worker);
      ranBy.set(w, (ranBy.get(w) ?? 0) + 1);
    }
    svc.close();
    assert.equal(ranBy.size, 2, `both workers took jobs: ${JSON.stringify([...ranBy])}`);
  });

  test("a worker killed with SIGKILL: its lease expires, another worker resumes the job from its checkpoint", async () => {
    const id = createJob(
      "--data",
      data(12, "killed"),
      "--epochs",
      "2",
      "--batch-size",
      "1",
      "--checkpoint-every",
      "5",
    );
    const svc = openServices(home);
    const store = svc.jobs;
    const first = startWorker("--once", "--lease-seconds", "2");
    await until(() => store.events.checkpoints(id).length > 0, 120_000, "a checkpoint");
    first.kill("SIGKILL");
    await once(first, "exit");
    const running = store.get(id);
    assert.equal(running.status, "running"); // nobody has noticed yet

    // a worker that keeps running (as `tailor worker` does) notices once the lease has expired
    const second = startWorker("--lease-seconds", "2");
    await until(() => store.get(id).status !== "running", 180_000, "the job to end");
    second.kill("SIGINT");
    const [code] = await once(second, "exit");
    assert.equal(code, 0, second.output());
    const job = store.get(id);
    assert.equal(job.status, "succeeded", JSON.stringify(job.error));
    assert.equal(job.attempts, 2);
    const messages = store.events.list(id).map((e) => e.message);
    assert.ok(
      messages.some((m) => /stopped answering; taken over/.test(m)),
      messages.join("\n"),
    );
    const resumed = messages.find((m) => /resuming from the checkpoint at step/.test(m));
    assert.ok(resumed, messages.join("\n"));
    const steps = store.events
      .list(id)
      .filter((e) => e.type === "metrics")
      .map((e) => e.data.step);
    assert.deepEqual(
      steps,
      Array.from({ length: 24 }, (_, i) => i + 1),
    ); // a continuous curve
    svc.close();
  });
});
