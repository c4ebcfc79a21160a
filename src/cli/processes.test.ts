/**
 * `tailor train --processes N`: the worker launches the engine through torchrun (gloo on this CPU),
 * the job trains on two processes, and a rank killed with SIGKILL fails the attempt cleanly; the
 * retry resumes from the checkpoint and the curve goes on without a gap. The real engine and worker.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
import { before, describe, test } from "node:test";
import { openServices } from "../services/index.ts";
import { chatLine, cliSandbox, startWorker as startWorkerIn, until } from "./__fixtures__/cli.ts";

const { home, tailor, file, tiny } = cliSandbox("tailor-cli-processes-", { HF_HUB_OFFLINE: "1" });

const startWorker = (...args: string[]) => startWorkerIn(home, ...args);

/** The engine processes torchrun (`launcher`) started, by their RANK. */
function ranks(launcher: number): Map<number, number> {
  const found = new Map<number, number>();
  for (const task of readdirSync(`/proc/${launcher}/task`)) {
    const children = readFileSync(`/proc/${launcher}/task/${task}/children`, "utf8").split(/\s+/);
    for (const child of children.filter(Boolean)) {
      const env = readFileSync(`/proc/${child}/environ`, "latin1").split("\0");
      const rank = env.find((e) => e.startsWith("RANK="));
      if (rank) found.set(Number(rank.slice(5)), Number(child));
    }
  }
  return found;
}

describe("training on several processes (torchrun)", () => {
  before(() => tiny());

  test("a job on 2 processes: a killed rank fails the attempt, the retry resumes from the checkpoint", async () => {
    const data = file(
      "two.jsonl",
      `${Array.from({ length: 12 }, (_, i) => chatLine(`two question ${i}?`, `Answer ${i % 3}.`)).join("\n")}\n`,
    );
    const made = tailor(
      "train",
      "--base",
      "tiny",
      "--data",
      data,
      "--epochs",
      "2",
      "--batch-size",
      "2",
      "--checkpoint-every",
      "2",
      "--processes",
      "2",
    );
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stderr, /processes: 2, launched by torchrun/);
    const id = made.stdout.trim().split("\n").at(-1) ?? "";
    const svc = openServices(home);
    try {
      const store = svc.jobs;
      assert.equal(store.get(id).spec.processes, 2);
      const worker = startWorker("--lease-seconds", "5");
      await until(() => store.events.checkpoints(id).length > 0, 180_000, "a checkpoint");
      const launcher = store.get(id).engine_pid;
      assert.ok(launcher, "the job records torchrun's pid");
      const pids = ranks(launcher);
      assert.deepEqual([...pids.keys()].sort(), [0, 1], `two ranks under torchrun ${launcher}`);
      process.kill(pids.get(1) ?? 0, "SIGKILL");

      await until(
        () => store.get(id).status === "succeeded" || store.get(id).status === "failed",
        300_000,
        "the job to end",
      );
      worker.kill("SIGINT");
      await once(worker, "exit");
      const job = store.get(id);
      assert.equal(job.status, "succeeded", `${JSON.stringify(job.error)}\n${worker.output()}`);
      assert.equal(job.attempts, 2);
      const messages = store.events.list(id).map((e) => e.message);
      assert.ok(
        messages.some((m) =>
          /the engine died at step \d+ .*queued again to go on from its last checkpoint/.test(m),
        ),
        messages.join("\n"),
      );
      assert.ok(
        messages.some((m) => /resuming from the checkpoint at step/.test(m)),
        messages.join("\n"),
      );
      const steps = store.events
        .list(id)
        .filter((e) => e.type === "metrics")
        .map((e) => e.data.step);
      assert.deepEqual(
        steps,
        Array.from({ length: 12 }, (_, i) => i + 1),
      ); // 12 examples / 2 a step * 2 epochs, a continuous curve
      const ask = tailor("generate", job.fine_tuned_model ?? "", "--prompt", "two question 1?");
      assert.equal(ask.code, 0, ask.stderr);
    } finally {
      svc.close();
    }
  });

  test("a job on 2 processes with its base sharded (FSDP) trains to a model that answers", async () => {
    const data = file(
      "shard.jsonl",
      `${Array.from({ length: 12 }, (_, i) => chatLine(`shard question ${i}?`, `Answer ${i % 3}.`)).join("\n")}\n`,
    );
    const alone = tailor("train", "--base", "tiny", "--data", data, "--shard");
    assert.notEqual(alone.code, 0);
    assert.match(
      alone.stderr,
      /shard splits the base across the job's processes: give it processes/,
    );
    const made = tailor(
      "train",
      ...["--base", "tiny", "--data", data, "--epochs", "1", "--batch-size", "4"],
      ...["--processes", "2", "--shard", "--wait"],
    );
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stderr, /shard: the base's weights are split across the processes \(FSDP\)/);
    const model = /model (\S+): /.exec(made.stdout)?.[1] ?? "";
    const ask = tailor("generate", model, "--prompt", "shard question 1?");
    assert.equal(ask.code, 0, ask.stderr);
  });

  test("only supervised training runs on several processes or machines; a bad count is refused", () => {
    const pairs = file(
      "pairs.jsonl",
      `${Array.from({ length: 12 }, (_, i) =>
        JSON.stringify({
          input: { messages: [{ role: "user", content: `q ${i}?` }] },
          preferred_output: [{ role: "assistant", content: "Yes." }],
          non_preferred_output: [{ role: "assistant", content: "No." }],
        }),
      ).join("\n")}\n`,
    );
    const dpo = tailor(
      "train",
      "--base",
      "tiny",
      "--data",
      pairs,
      "--method",
      "dpo",
      "--processes",
      "2",
    );
    assert.notEqual(dpo.code, 0);
    assert.match(dpo.stderr, /only supervised training runs on several processes/);
    // nor on several machines (`--nodes`, src/cli/nodes.test.ts)
    const nodes = tailor(
      "train",
      "--base",
      "tiny",
      "--data",
      pairs,
      "--method",
      "dpo",
      "--nodes",
      "2",
    );
    assert.notEqual(nodes.code, 0);
    assert.match(nodes.stderr, /only supervised training runs on several nodes/);
    const zero = tailor("train", "--base", "tiny", "--data", pairs, "--processes", "0");
    assert.notEqual(zero.code, 0);
    assert.match(zero.stderr, /--processes/);
  });
});
