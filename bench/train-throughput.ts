/**
 * Training speed, side by side on the same work: SmolLM2-135M (the built-in model), the same chat
 * examples (20 to ~1,000 tokens each) in the same order, LoRA rank 16 on all linear layers, AdamW,
 * the same examples per optimizer step, the same seed. Three contenders, each in its own process:
 *   tailor           Tailor's engine (`train`: packed rows, segmented attention, trained-positions loss)
 *   trainer-padding  transformers.Trainer + peft, DataCollatorForSeq2Seq (padding; most tutorials)
 *   trainer-flatten  the same with DataCollatorWithFlattening (padding-free; the strong baseline)
 * Reports non-padding tokens per second over the timed steps (after untimed warm-up steps), peak
 * resident memory and the mean training loss of the timed steps; medians over the runs; ratios.
 * The losses must agree within LOSS_TOLERANCE, or the comparison is void and says so.
 * Contenders run one after another, never in parallel. CPU time on a shared machine is noisy: look
 * at the ratios (taken in the same run), and at every run's figures with --verbose.
 * Every contender's learning-rate schedule spans one epoch of the whole data set; each stops after the
 * timed steps (a full epoch would take the better part of an hour per contender on a 2-core CPU).
 * Precision is the same for all: bf16 mixed precision where the CPU has native bf16 (AVX512-BF16 or
 * AMX; the engine's autocast, the Trainer's `bf16=True`), fp32 elsewhere; --fp32 forces fp32 for all.
 * Usage: npx tsx bench/train-throughput.ts [--runs 3] [--steps 3] [--warmup 1] [--examples 256] [--fp32] [--json] [--verbose]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeChatData } from "./lib/chat-data.ts";
import {
  cpuSummary,
  ensureBenchPackages,
  median,
  runContender,
  warmModelCache,
} from "./lib/python.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const runs = arg("--runs", 3);
const steps = arg("--steps", 3);
const warmup = arg("--warmup", 1);
const examples = arg("--examples", 256);
const json = process.argv.includes("--json");
const verbose = process.argv.includes("--verbose");
const LOSS_TOLERANCE = 0.03;

const CONTENDERS = [
  { name: "tailor", script: "train_throughput/engine.py", args: [] as string[] },
  { name: "trainer-padding", script: "train_throughput/trainer.py", args: ["padding"] },
  { name: "trainer-flatten", script: "train_throughput/trainer.py", args: ["flatten"] },
] as const;

type Result = {
  precision: string;
  tokens_per_second: number;
  peak_rss_mb: number;
  final_loss: number;
  seconds: number;
  tokens: number;
  threads: number;
};

const settings = {
  seed: 0,
  batch_size: 4,
  accumulation: 2,
  learning_rate: 2e-4,
  lora_rank: 16,
  lora_alpha: 32,
  max_seq_length: 1024,
  warmup_steps: warmup,
  steps,
  precision: process.argv.includes("--fp32") ? "fp32" : "auto",
};
const perStep = settings.batch_size * settings.accumulation;
if ((warmup + steps) * perStep > examples)
  throw new Error("more steps than the data set has examples for");

ensureBenchPackages(["accelerate"]);
warmModelCache();
const dir = mkdtempSync(join(tmpdir(), "tailor-bench-train-"));
const results: Record<string, Result[]> = {};
try {
  const dataFile = join(dir, "train.jsonl");
  writeChatData(dataFile, examples);
  const arg0 = JSON.stringify({ ...settings, data_file: dataFile });
  for (let run = 1; run <= runs; run++) {
    for (const c of CONTENDERS) {
      const r = runContender(c.script, [arg0, ...c.args]) as unknown as Result;
      results[c.name] = [...(results[c.name] ?? []), r];
      if (!json)
        console.error(
          `run ${run}/${runs} ${c.name}: ${r.tokens_per_second.toFixed(0)} tok/s, ` +
            `${r.peak_rss_mb.toFixed(0)} MB, loss ${r.final_loss.toFixed(4)}`,
        );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const summary = Object.fromEntries(
  CONTENDERS.map(({ name }) => {
    const rs = results[name] ?? [];
    return [
      name,
      {
        tokens_per_second: median(rs.map((r) => r.tokens_per_second)),
        peak_rss_mb: median(rs.map((r) => r.peak_rss_mb)),
        final_loss: median(rs.map((r) => r.final_loss)),
        runs: verbose ? rs : undefined,
      },
    ];
  }),
);
const a = summary.tailor;
const b = summary["trainer-padding"];
const c = summary["trainer-flatten"];
if (!a || !b || !c) throw new Error("a contender gave no result");
const lossGap = Math.max(
  Math.abs(b.final_loss - a.final_loss) / a.final_loss,
  Math.abs(c.final_loss - a.final_loss) / a.final_loss,
);
const valid = lossGap <= LOSS_TOLERANCE;
// each run's contenders ran back to back: their ratios see the same machine load
const perRun = (name: string) =>
  Array.from(
    { length: runs },
    (_, i) =>
      (results.tailor?.[i]?.tokens_per_second ?? Number.NaN) /
      (results[name]?.[i]?.tokens_per_second ?? Number.NaN),
  );
const result = {
  benchmark: "train-throughput",
  model: "smollm2-135m-instruct",
  cpu: cpuSummary(),
  settings: { ...settings, examples, runs },
  timed_tokens: results.tailor?.[0]?.tokens,
  precision: results.tailor?.[0]?.precision,
  contenders: summary,
  ratio_tailor_over_padding: a.tokens_per_second / b.tokens_per_second,
  ratio_tailor_over_flatten: a.tokens_per_second / c.tokens_per_second,
  ratio_tailor_over_padding_per_run: perRun("trainer-padding"),
  ratio_tailor_over_flatten_per_run: perRun("trainer-flatten"),
  max_loss_gap: lossGap,
  valid,
};
if (json) console.log(JSON.stringify(result));
else {
  console.log(
    `LoRA training of smollm2-135m-instruct, ${steps} timed steps of ${perStep} examples ` +
      `(${result.timed_tokens} tokens) after ${warmup} warm-up steps, median of ${runs} runs, ` +
      `${result.cpu.cores} CPUs (${result.cpu.model}; ${result.cpu.flags.join(" ")}), ${result.precision}:`,
  );
  console.log("  contender         tokens/s   peak MB   loss");
  for (const [name, s] of Object.entries(summary))
    console.log(
      `  ${name.padEnd(16)} ${s.tokens_per_second.toFixed(0).padStart(9)} ${s.peak_rss_mb.toFixed(0).padStart(9)}   ${s.final_loss.toFixed(4)}`,
    );
  console.log(
    `  tailor / trainer-padding: ${result.ratio_tailor_over_padding.toFixed(2)}x, ` +
      `tailor / trainer-flatten: ${result.ratio_tailor_over_flatten.toFixed(2)}x`,
  );
  console.log(
    `  per run: tailor / trainer-padding ${result.ratio_tailor_over_padding_per_run.map((r) => r.toFixed(2)).join(", ")}; ` +
      `tailor / trainer-flatten ${result.ratio_tailor_over_flatten_per_run.map((r) => r.toFixed(2)).join(", ")}`,
  );
  console.log(
    valid
      ? `  losses agree within ${(lossGap * 100).toFixed(2)}%`
      : `  COMPARISON VOID: the losses differ by ${(lossGap * 100).toFixed(1)}% (more than ${LOSS_TOLERANCE * 100}%), so the contenders did not do the same work`,
  );
  console.log(JSON.stringify(result));
}
if (!valid) process.exitCode = 1;
