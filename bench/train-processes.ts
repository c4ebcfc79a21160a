/**
 * Training on 1 process against N processes under torchrun, side by side on the same work: the
 * engine's `train` on SmolLM2-135M (the built-in model), the same chat examples, the same global
 * batch (examples per optimizer step), LoRA rank 16, the same seed. Each run is the engine as a job
 * runs it (`runEngine`, with `processes` for torchrun). Reports the engine's tokens/s over the steps
 * after the first (the first holds warm-up), the wall time from start to result (model loading and
 * process start-up included), and the final loss, which must agree: N processes take the same steps.
 * On a machine with C cores each of N processes gets C/N threads (device.set_cpu_threads): on CPU the
 * question is whether gloo's all-reduce and the smaller per-process matmuls cost more than they gain.
 * Usage: npx tsx bench/train-processes.ts [--processes 2] [--runs 2] [--examples 64] [--shape short] [--json]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import type { EngineMessage } from "../protocol/index.ts";
import { engineResult } from "../src/engine/index.ts";
import { SHAPES, type Shape, writeChatData } from "./lib/chat-data.ts";
import { median } from "./lib/python.ts";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const processes = Number(arg("--processes", "2"));
const runs = Number(arg("--runs", "2"));
const examples = Number(arg("--examples", "64"));
const shape = arg("--shape", "short") as Shape;
const json = process.argv.includes("--json");
if (!SHAPES.includes(shape)) throw new Error(`--shape: one of ${SHAPES.join(", ")}`);

type Run = { tokens_per_second: number; wall_seconds: number; final_loss: number; steps: number };

async function once(dir: string, data: string, n: number, run: number): Promise<Run> {
  const out = join(dir, `p${n}-r${run}`);
  const rates: number[] = [];
  const t0 = performance.now();
  const done = await engineResult(
    "train",
    {
      base: { kind: "builtin", name: "smollm2-135m-instruct" },
      train_file: data,
      out_dir: join(out, "model"),
      checkpoint_dir: join(out, "ckpt"),
      model_name: "bench",
      epochs: 1,
      learning_rate: 2e-4,
      batch_size: 8,
      lora_rank: 16,
      lora_alpha: 32,
      seed: 0,
    },
    "completed",
    {
      processes: n,
      onMessage: (m: EngineMessage) => {
        if (m.type === "metrics" && m.step > 1) rates.push(m.tokens_per_second);
      },
    },
  );
  return {
    tokens_per_second: median(rates),
    wall_seconds: (performance.now() - t0) / 1000,
    final_loss: done.final_train_loss,
    steps: done.steps,
  };
}

const dir = mkdtempSync(join(tmpdir(), "tailor-bench-processes-"));
try {
  const data = join(dir, "train.jsonl");
  writeChatData(data, examples, 1, shape);
  const results: Record<number, Run[]> = { 1: [], [processes]: [] };
  for (let run = 1; run <= runs; run++)
    for (const n of run % 2 ? [1, processes] : [processes, 1]) {
      const r = await once(dir, data, n, run);
      results[n]?.push(r);
      if (!json)
        console.error(
          `run ${run}/${runs}, ${n} process${n > 1 ? "es" : ""}: ${r.tokens_per_second.toFixed(0)} tok/s, ${r.wall_seconds.toFixed(1)} s, loss ${r.final_loss.toFixed(4)}`,
        );
    }
  const summary = Object.fromEntries(
    Object.entries(results).map(([n, rs]) => [
      n,
      {
        tokens_per_second: median(rs.map((r) => r.tokens_per_second)),
        wall_seconds: median(rs.map((r) => r.wall_seconds)),
        final_loss: rs[0]?.final_loss ?? Number.NaN,
        steps: rs[0]?.steps ?? 0,
      },
    ]),
  );
  const one = summary[1];
  const many = summary[processes];
  if (!one || !many) throw new Error("no results");
  const lossGap = Math.abs(one.final_loss - many.final_loss) / Math.abs(one.final_loss);
  const report = {
    machine: `${cpus().length} logical CPUs (${cpus()[0]?.model ?? "?"})`,
    shape,
    examples,
    processes,
    summary,
    tokens_per_second_ratio: many.tokens_per_second / one.tokens_per_second,
    wall_ratio: many.wall_seconds / one.wall_seconds,
    final_loss_relative_gap: lossGap,
  };
  if (json) console.log(JSON.stringify(report, null, 2));
  else {
    console.log(
      `\n${report.machine}; ${shape} data, ${examples} examples, 8 a step, ${one.steps} steps`,
    );
    console.log("| processes | tokens/s | wall s | final loss |");
    console.log("| ---: | ---: | ---: | ---: |");
    for (const [n, s] of Object.entries(summary))
      console.log(
        `| ${n} | ${s.tokens_per_second.toFixed(0)} | ${s.wall_seconds.toFixed(1)} | ${s.final_loss.toFixed(4)} |`,
      );
    console.log(
      `\n${processes} processes / 1: ${report.tokens_per_second_ratio.toFixed(2)}x tokens/s, ${report.wall_ratio.toFixed(2)}x wall time; final losses differ by ${(lossGap * 100).toFixed(3)}%`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
