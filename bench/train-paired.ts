/**
 * One speed-up of the engine's training step at a time, on and off within one process
 * (train_throughput/paired.py): SmolLM2-135M, LoRA rank 16 on all linear layers, the benchmark's short
 * chat (8 examples a step), bf16 where the CPU has it, the engine's allocator. Each timed optimizer step
 * runs with the change on and with it off back to back, the order flipped every time; the speed-up is
 * the mean of the pairs' ratios, with its standard error. The changes are each 1-3% of a step, under
 * the 5-10% that separates two runs of the same code in two processes on this machine, so
 * train-throughput.ts cannot tell them apart; paired they show.
 * `sfc64-masks` (dropout's random bits from numpy's SFC64 against torch's randint) and `dropout-factor`
 * (dropped elements zeroed by a 0/1 factor in the input's dtype against a boolean mask and
 * `masked_fill`) train with a job's LoRA dropout, 0.05, the others without, as the throughput benchmark
 * does; --dropout sets it for all.
 * `packed-math` is a packed row's attention in one autograd function against segment by segment;
 * `masks-together` (at dropout 0.05) the masked inputs of layers that read one input in one function.
 * `blocked-attention` is fp32 attention of segments from 256 tokens in blocks of query places (as
 * the engine runs it by default) against SDPA's flash kernel; `kept-probs` every such segment's
 * probabilities kept for backward (TAILOR_ATTENTION_PROBS_MB without a limit) against computed
 * again. Both only act in fp32 on long examples: measure them with --fp32 --shape long.
 * --fp32 trains in fp32 (TAILOR_CPU_BF16=0) where the CPU would take bf16; --shape long (or mixed)
 * trains on the throughput benchmark's long answers (300 to 1,000 tokens) instead of short chat.
 * Usage: npx tsx bench/train-paired.ts
 *   [--change fused-adamw,head-blocks,row-blocks,swiglu,rms-norm,sfc64-masks,
 *   dropout-factor,packed-math,masks-together,blocked-attention,kept-probs] [--rounds 6] [--steps 4]
 *   [--dropout 0.05] [--fp32] [--shape short|long|mixed] [--json]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allocatorEnv } from "../src/engine/index.ts";
import { SHAPES, type Shape, writeChatData } from "./lib/chat-data.ts";
import { python, runContender, warmModelCache } from "./lib/python.ts";

const CHANGES = [
  "fused-adamw",
  "head-blocks",
  "row-blocks",
  "swiglu",
  "rms-norm",
  "sfc64-masks",
  "dropout-factor",
  "packed-math",
  "masks-together",
  "blocked-attention",
  "kept-probs",
];
/** The LoRA dropout a change is measured at unless --dropout says: a job's default where it is about dropout. */
const DROPOUT_OF: Record<string, number> = {
  "sfc64-masks": 0.05,
  "dropout-factor": 0.05,
  "masks-together": 0.05,
};
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
const fp32 = process.argv.includes("--fp32");
const shape = (option("--shape") ?? "short") as Shape;
if (!SHAPES.includes(shape))
  throw new Error(`--shape ${shape}: give one of ${SHAPES.join(", ")} (bench/lib/chat-data.ts)`);
const dropoutOption = option("--dropout");
const dropout = dropoutOption === undefined ? undefined : Number(dropoutOption);
if (!(Number.isInteger(rounds) && rounds >= 2 && Number.isInteger(steps) && steps >= 1))
  throw new Error("--rounds takes a whole number from 2, --steps one from 1");
if (dropout !== undefined && !(dropout >= 0 && dropout < 1))
  throw new Error(`--dropout ${dropoutOption}: give a probability from 0 to under 1, e.g. 0.05`);

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
  const data = join(dir, `${shape}.jsonl`);
  writeChatData(data, 256, 1, shape); // as train-throughput.ts writes it: the same first steps
  warmModelCache();
  const results: Result[] = [];
  for (const change of changes) {
    const p = dropout ?? DROPOUT_OF[change] ?? 0;
    console.error(
      `${change}: ${rounds} rounds of ${steps} steps, on and off, ${shape} examples, LoRA dropout ${p}${fp32 ? ", fp32" : ""}`,
    );
    const r = runContender(
      "train_throughput/paired.py",
      [JSON.stringify({ data_file: data, change, rounds, steps, dropout: p })],
      { ...allocatorEnv(python()), ...(fp32 ? { TAILOR_CPU_BF16: "0" } : {}) },
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
