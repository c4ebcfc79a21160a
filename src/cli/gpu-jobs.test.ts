/**
 * Jobs that need a GPU and workers that say what they offer: `tailor train --gpu` queues a job that
 * only a worker offering a GPU takes; a worker without one passes over it and runs the others;
 * `tailor workers` lists the running workers with their cores, memory and GPUs.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { availableParallelism } from "node:os";
import { before, describe, test } from "node:test";
import { chatLine, cliSandbox, startWorker, until } from "./__fixtures__/cli.ts";

const { home, tailor, file, tiny } = cliSandbox("tailor-cli-gpu-", { HF_HUB_OFFLINE: "1" });

describe("jobs that need a GPU", () => {
  before(() => tiny());

  test("a GPU job waits for a worker with a GPU; a worker without one runs the other jobs", async () => {
    const data = file(
      "gpu.jsonl",
      `${Array.from({ length: 12 }, (_, i) => chatLine(`gpu question ${i}?`, `Answer ${i}.`)).join("\n")}\n`,
    );
    const gpu = tailor("train", "--base", "tiny", "--data", data, "--epochs", "1", "--gpu");
    assert.equal(gpu.code, 0, gpu.stderr);
    assert.match(gpu.stderr, /runs on a worker with a GPU only/);
    assert.match(gpu.stderr, /no worker with a GPU is running: the job waits in the queue/);
    const gpuId = gpu.stdout.trim().split("\n").at(-1) ?? "";
    const cpu = tailor("train", "--base", "tiny", "--data", data, "--epochs", "1");
    assert.equal(cpu.code, 0, cpu.stderr);
    const cpuId = cpu.stdout.trim().split("\n").at(-1) ?? "";

    const ran = tailor("worker", "--once", "--gpus", "0");
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stderr, /it offers \d+ CPU cores, \d+ GiB, no GPU/);
    assert.match(ran.stderr, /stopped after 1 job\(s\)/);
    const show = (id: string) => JSON.parse(tailor("jobs", "show", id, "--json").stdout);
    assert.equal(show(cpuId).status, "succeeded");
    assert.equal(show(gpuId).status, "queued", "the worker without a GPU left the GPU job alone");
  });

  test("`tailor workers` lists the running workers and what each offers", async () => {
    assert.match(tailor("workers").stderr, /no worker is running/);
    const worker = startWorker(home, "--gpus", "0");
    try {
      await until(() => /is waiting for jobs/.test(worker.output()), 30_000, "the worker to start");
      const listed = JSON.parse(tailor("workers", "--json").stdout);
      assert.equal(listed.length, 1);
      assert.equal(listed[0].pid, worker.pid);
      assert.equal(listed[0].gpus, 0);
      assert.equal(listed[0].cpus, availableParallelism());
      assert.ok(listed[0].memoryMb > 0);
      assert.match(
        tailor("workers").stdout,
        new RegExp(`pid ${worker.pid} .*CPU cores, \\d+ GiB, no GPU`),
      );
    } finally {
      worker.kill("SIGTERM");
      await once(worker, "exit");
    }
  });
});
