/**
 * One speed-up of the engine's training step at a time, on and off within one process
 * (train_throughput/paired.py): SmolLM2-135M, LoRA rank 16 on all linear layers, the benchmark's short
 * chat (8 examples a step), bf16 where the CPU has it, the engine's allocator. Each timed optimizer step
 * runs with the change on and with it off back to back, the order flipped every time; the speed-up is
 * the mean of the pairs' ratios, with its standard error. The changes are each 1-3% of a step, under
 * the 5-10% that separates two runs of the same code in two processes on this machine, so
 * train-throughput.ts cannot tell them apart; paired they show.
 * Usage: npx tsx bench/train-paired.ts [--change fused-adamw,head-blocks,row-blocks,swiglu,rms-norm]
 *   [--rounds 6] [--steps 4] [--json]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allocatorEnv } from "../src/engine/index.ts";
import { writeChatData } from "./lib/chat-data.ts";
import { python, runContender, warmModelCache } from "./lib/python.ts";

const CHANGES = ["fused-adamw", "head-blocks", "row-blocks", "swiglu", "rms-norm"];
const option = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const changes = (option("--change") ?? CHANGES.join(",")).split(",");
for (const change of changes)
  if (!CHANGES.includes(change))
    throw new Error(
      `--change ${change}: give one or more of ${CHANGES.join(", ")}, comma-separated`,
    );
const rounds = Number(option("--rounds") ?? 6);
const steps = Number(option("--steps") ?? 4);
if (!(Number.isInteger(rounds) && rounds >= 2 && Number.isInteger(steps) && steps >= 1))
  throw new Error("--rounds takes a whole number from 2, --steps one from 1");

type Result = {
  change: string;
  on_ms: number;
  off_ms: number;
  speedup: number;
  stderr: number;
  pairs: number;
};

const dir = mkdtempSync(join(tmpdir(), "tailor-paired-"));
try {
  const data = join(dir, "short.jsonl");
  writeChatData(data, 256, 1, "short");
  warmModelCache();
  const results: Result[] = [];
  for (const change of changes) {
    console.error(`${change}: ${rounds} rounds of ${steps} steps, on and off`);
    const r = runContender(
      "train_throughput/paired.py",
      [JSON.stringify({ data_file: data, change, rounds, steps })],
      allocatorEnv(python()),
    ) as Result;
    results.push(r);
  }
  if (process.argv.includes("--json")) console.log(JSON.stringify(results));
  else {
    console.log(
      "  change          step on   step off   speed-up (mean of off/on, +- standard error)",
    );
    for (const r of results)
      console.log(
        `  ${r.change.padEnd(14)} ${`${r.on_ms.toFixed(0)} ms`.padStart(8)} ${`${r.off_ms.toFixed(0)} ms`.padStart(10)}   ${((r.speedup - 1) * 100).toFixed(1)}% +- ${(r.stderr * 100).toFixed(1)}% (${r.pairs} pairs)`,
      );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
