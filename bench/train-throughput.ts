/**
 * Training speed, side by side on the same work: SmolLM2-135M (the built-in model), the same chat
 * examples (20 to ~1,000 tokens each) in the same order, LoRA rank 16 on all linear layers, AdamW,
 * the same examples per optimizer step, the same seed. Three contenders, each in its own process:
 *   tailor           Tailor's engine (`train`: packed rows, segmented attention, trained-positions loss)
 *   trainer-padding  transformers.Trainer + peft, DataCollatorForSeq2Seq (padding; most tutorials)
 *   trainer-flatten  the same with DataCollatorWithFlattening (padding-free; the strong baseline)
 * Reports non-padding tokens per second over the timed steps (after untimed warm-up steps), peak
 * resident memory and the mean training loss of the timed steps; medians over the runs; ratios.
 * Model FLOPs utilisation: each run also measures the machine's 2048x2048 matmul throughput at the
 * run's precision before and after the contenders, the higher of the two (train_throughput/flops.py,
 * which says what a step's model FLOPs count), and each
 * contender's model FLOPs per second are given as a share of it. Beside them, "products alone"
 * (train_throughput/bound.py) times every product the model FLOPs count for the timed steps, each alone
 * at its shape and at its fastest: the highest MFU those steps allow on this machine, with what it
 * would leave of Tailor's step time. The engine's own tokens_per_second
 * (what a user's progress bar shows) is set beside the benchmark's measure of the same steps.
 * Data shapes (--shape, one or more, comma-separated): short (chat of about 100 tokens an example),
 * long (answers of 300 to 1,000 tokens), mixed (20 to 1,000, log-uniform: the first benchmark's).
 * The losses must agree within LOSS_TOLERANCE, or the comparison is void and says so.
 * Contenders run one after another, never in parallel. CPU time on a shared machine is noisy: look
 * at the ratios (taken in the same run), and at every run's figures with --verbose.
 * Every contender's learning-rate schedule spans one epoch of the whole data set; each stops after the
 * timed steps (a full epoch would take the better part of an hour per contender on a 2-core CPU).
 * 8 timed steps after 3 warm-up ones: the first steps of a run are start-up (oneDNN creates a matmul
 * for each new shape it meets, loss buffers are allocated), and 3 steps of about 800 tokens were too
 * few to tell contenders apart on a shared machine (until 2026-12-06: 3 after 1).
 * Precision is the same for all: bf16 mixed precision where the CPU has native bf16 (AVX512-BF16 or
 * AMX; the engine's autocast, the Trainer's `bf16=True`), fp32 elsewhere; --fp32 forces fp32 for all.
 * Under bf16 the engine holds its frozen base in bf16, as it trains by default (matmuls take bf16 inputs
 * in both: the Trainer's autocast casts its fp32 weights at every step); TAILOR_FROZEN_BF16=0 in the
 * environment gives the engine the Trainer's fp32 base as well.
 * LoRA dropout: 0 for every contender (as in every round's figures), or --dropout P (0.05 is what a user's
 * job trains with: the engine draws its masks its own way, the Trainer through PEFT's torch dropout).
 * Allocator: the engine's contenders run with the malloc the engine runs with (mimalloc, preloaded);
 * the Trainers with the system's, as transformers runs; --same-allocator gives them mimalloc too, and
 * --allocators compares the engine under each allocator the machine has.
 * --fp32-reference adds `tailor` and the padding Trainer in fp32 (TAILOR_CPU_BF16=0) beside their bf16
 * runs, and says how far each bf16 loss is from its fp32 one (their MFU is still taken against the
 * bf16 peak): the loss bf16 training should have.
 * Usage: npx tsx bench/train-throughput.ts [--runs 3] [--steps 8] [--warmup 3] [--examples 256] [--shape short,long] [--ablation | --allocators] [--contenders tailor,trainer-flatten,tailor-recomputed] [--same-allocator] [--fp32] [--fp32-reference] [--dropout 0.05] [--json] [--verbose]
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allocatorEnv } from "../src/engine/index.ts";
import { SHAPES, type Shape, writeChatData } from "./lib/chat-data.ts";
import {
  cpuSummary,
  ensureBenchPackages,
  median,
  python,
  runContender,
  warmModelCache,
} from "./lib/python.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const runs = arg("--runs", 3);
const steps = arg("--steps", 8);
const warmup = arg("--warmup", 3);
const examples = arg("--examples", 256);
const json = process.argv.includes("--json");
const verbose = process.argv.includes("--verbose");
/** A comma-separated option's items, or null where the option is not given. */
const listArg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? "").split(",") : null;
};
const shapes = listArg("--shape") ?? ["short", "long"];
for (const shape of shapes)
  if (!SHAPES.includes(shape as Shape))
    throw new Error(`--shape ${shape}: give one or more of ${SHAPES.join(", ")}, comma-separated`);
const LOSS_TOLERANCE = 0.03;

type Contender = { name: string; script: string; args: string[]; env?: Record<string, string> };
const ENGINE = "train_throughput/engine.py";
/** The engine's contenders run with the allocator the engine runs with (src/engine/allocator.ts). */
const ENGINE_ALLOCATOR = allocatorEnv(python());
const engine = (name: string, env: Record<string, string> = {}): Contender => ({
  name,
  script: ENGINE,
  args: [],
  env: { ...ENGINE_ALLOCATOR, ...env },
});
/**
 * --ablation: the engine alone, instead of the Trainer contenders: first as in round 1 (the system's
 * malloc, PEFT's LoRA layers, the fp32 base cast by autocast at every step, the flash kernel for every
 * segment), then with each speed-up of round 2 added in turn: mimalloc, fused LoRA, the frozen base
 * held in bf16 (which also skips the LoRA layers' input casts), the grouped math path for segments
 * under 512 tokens (256 in fp32), the sibling projections computed together (q, k, v; gate, up),
 * shapes that repeat (packed rows a multiple of 32 tokens long, segments attending as multiples of
 * 16, the loss's rows padded to multiples of 32), and the frozen layers' products in the blocks of
 * rows that ran fastest; the last is `tailor`, the default. The loss's one log-softmax per chunk is
 * in every line; PyTorch's fused AdamW in every line after round 1's, the lighter RMSNorms (which go
 * with fused LoRA) from +fused-lora on, the SwiGLU that takes the gate/up group's output whole from
 * +siblings on, the loss's output-gradient product in row blocks with the other blocks. Their own
 * effects, each 1-3% of a step, are measured paired in one process (train-paired.ts).
 */
const SHAPES_AS_THEY_COME = {
  TAILOR_ROW_MULTIPLE: "1",
  TAILOR_SEGMENT_MULTIPLE: "1",
  TAILOR_ROW_BLOCKS: "0",
};
const ROUND_1 = {
  TAILOR_FUSED_ADAMW: "0",
  TAILOR_FUSED_LORA: "0",
  TAILOR_MATH_ATTENTION_BELOW: "0",
  TAILOR_FROZEN_BF16: "0",
  ...SHAPES_AS_THEY_COME,
};
const ABLATION: Contender[] = [
  { name: "round-1", script: ENGINE, args: [], env: ROUND_1 },
  engine("+mimalloc", ROUND_1),
  engine("+fused-lora", {
    TAILOR_MATH_ATTENTION_BELOW: "0",
    TAILOR_FROZEN_BF16: "0",
    TAILOR_FUSED_LORA: "layers",
    ...SHAPES_AS_THEY_COME,
  }),
  engine("+frozen-bf16", {
    TAILOR_MATH_ATTENTION_BELOW: "0",
    TAILOR_FUSED_LORA: "layers",
    ...SHAPES_AS_THEY_COME,
  }),
  engine("+math-attention", { TAILOR_FUSED_LORA: "layers", ...SHAPES_AS_THEY_COME }),
  engine("+siblings", SHAPES_AS_THEY_COME),
  engine("+repeating-shapes", { TAILOR_ROW_BLOCKS: "0" }),
  engine("tailor"),
];
/**
 * --allocators: the engine as it trains by default, under each malloc this machine has: the system's,
 * mimalloc as the engine runs it (`tailor`), as it comes (handing freed pages back to the kernel
 * after 10 ms) and with transparent huge pages (which the engine turns off), and tcmalloc and
 * jemalloc where Debian's packages are installed (/usr/lib/x86_64-linux-gnu).
 */
const SYSTEM_LIBS = "/usr/lib/x86_64-linux-gnu";
const ALLOCATORS: Contender[] = [
  { name: "system-malloc", script: ENGINE, args: [] },
  engine("tailor"),
  ...(ENGINE_ALLOCATOR.LD_PRELOAD
    ? [
        engine("mimalloc-purging", { MIMALLOC_PURGE_DELAY: "10" }),
        engine("mimalloc-thp", { MIMALLOC_ALLOW_THP: "1" }),
      ]
    : []),
  ...[
    ["tcmalloc", "libtcmalloc_minimal.so.4"],
    ["jemalloc", "libjemalloc.so.2"],
  ]
    .filter(([, lib]) => existsSync(`${SYSTEM_LIBS}/${lib}`))
    .map(([name, lib]) => engine(name as string, { LD_PRELOAD: `${SYSTEM_LIBS}/${lib}` })),
];
/**
 * The Trainer contenders run with the system's malloc, as a user of transformers gets it;
 * --same-allocator gives them the engine's allocator too (what the allocator alone is worth).
 */
const TRAINER_ENV = process.argv.includes("--same-allocator") ? ENGINE_ALLOCATOR : {};
/** --fp32-reference: `tailor` and the padding Trainer once more in fp32 (see the header). */
const FP32_REFERENCE = process.argv.includes("--fp32-reference");
const FP32 = { TAILOR_CPU_BF16: "0" };
const CONTENDERS: Contender[] = process.argv.includes("--allocators")
  ? ALLOCATORS
  : process.argv.includes("--ablation")
    ? ABLATION
    : [
        engine("tailor"),
        {
          name: "trainer-padding",
          script: "train_throughput/trainer.py",
          args: ["padding"],
          env: TRAINER_ENV,
        },
        {
          name: "trainer-flatten",
          script: "train_throughput/trainer.py",
          args: ["flatten"],
          env: TRAINER_ENV,
        },
        ...(FP32_REFERENCE
          ? [
              engine("tailor-fp32", FP32),
              {
                name: "trainer-padding-fp32",
                script: "train_throughput/trainer.py",
                args: ["padding"],
                env: { ...TRAINER_ENV, ...FP32 },
              },
            ]
          : []),
      ];
/**
 * --contenders tailor[,NAME...]: only these of the run's contenders (tailor always among them: every
 * figure is taken against it). For MFU on long answers, where each Trainer takes about 25 minutes a run
 * in fp32 on a 2-core CPU, `--contenders tailor` measures tailor and its products alone only.
 */
const wanted = listArg("--contenders")?.filter(Boolean);
/** Contenders that run only when --contenders names them: the engine with one of its defaults turned back. */
const ON_REQUEST: Contender[] = [
  // attention's probabilities computed again in backward for every long example (the default until
  // 2026-12-07), instead of kept within the budget the engine takes from the machine's memory
  engine("tailor-recomputed", { TAILOR_ATTENTION_PROBS_MB: "0" }),
];
if (wanted) {
  CONTENDERS.push(...ON_REQUEST.filter((c) => wanted.includes(c.name)));
  const names = CONTENDERS.map((c) => c.name);
  const unknown = wanted.filter((name) => !names.includes(name));
  if (unknown.length || !wanted.includes("tailor"))
    throw new Error(
      `--contenders ${wanted.join(",")}: give tailor and any of ${names.filter((n) => n !== "tailor").join(", ")}, comma-separated` +
        (unknown.length ? ` (${unknown.join(", ")} is not one of this run's)` : ""),
    );
  CONTENDERS.splice(0, CONTENDERS.length, ...CONTENDERS.filter((c) => wanted.includes(c.name)));
}
const others = CONTENDERS.filter((c) => c.name !== "tailor").map((c) => c.name);

type Result = {
  precision: string;
  tokens_per_second: number;
  gflops_per_second: number;
  engine_tokens_per_second: number | null;
  peak_rss_mb: number;
  final_loss: number;
  seconds: number;
  tokens: number;
  threads: number;
};
type Matmul = { threads: number; fp32_gflops: number; bf16_gflops?: number };
/** train_throughput/bound.py: the timed steps' model products alone, each at its shape, at its fastest. */
type Bound = {
  seconds: number;
  tokens_per_second: number;
  gflops_per_second: number;
  share: Record<string, number>;
  precision: string;
};

const settings = {
  seed: 0,
  batch_size: 4,
  accumulation: 2,
  learning_rate: 2e-4,
  lora_rank: 16,
  lora_alpha: 32,
  lora_dropout: arg("--dropout", 0),
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

/** Every contender's runs on one shape of data, with the machine's matmul peak measured in each run. */
function measure(shape: Shape) {
  const dir = mkdtempSync(join(tmpdir(), "tailor-bench-train-"));
  const results: Record<string, Result[]> = {};
  const peaks: number[] = [];
  const bounds: Bound[] = [];
  try {
    const dataFile = join(dir, "train.jsonl");
    writeChatData(dataFile, examples, 1, shape);
    const arg0 = JSON.stringify({ ...settings, data_file: dataFile });
    const env = settings.precision === "fp32" ? { TAILOR_CPU_BF16: "0" } : {};
    for (let run = 1; run <= runs; run++) {
      const before = runContender("train_throughput/flops.py", ["matmul"], env) as Matmul;
      bounds.push(runContender("train_throughput/bound.py", [arg0], env) as unknown as Bound);
      for (const c of CONTENDERS) {
        const r = runContender(c.script, [arg0, ...c.args], c.env) as unknown as Result;
        results[c.name] = [...(results[c.name] ?? []), r];
        if (!json)
          console.error(
            `${shape} run ${run}/${runs} ${c.name}: ${r.tokens_per_second.toFixed(0)} tok/s, ` +
              `${r.gflops_per_second.toFixed(0)} GFLOP/s, ${r.peak_rss_mb.toFixed(0)} MB, loss ${r.final_loss.toFixed(4)}`,
          );
      }
      // measured again after the contenders: the higher of the two (this shared machine's speed moves)
      const after = runContender("train_throughput/flops.py", ["matmul"], env) as Matmul;
      const peak = Math.max(
        ...[before, after].map((m) =>
          results.tailor?.[0]?.precision.startsWith("bf16")
            ? (m.bf16_gflops ?? Number.NaN)
            : m.fp32_gflops,
        ),
      );
      peaks.push(peak);
      if (!json)
        console.error(`${shape} run ${run}/${runs} matmul peak: ${peak.toFixed(0)} GFLOP/s`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // each run's contenders ran back to back with its matmul: their ratios see the same machine load
  const perRun = (f: (i: number) => number) => Array.from({ length: runs }, (_, i) => f(i));
  const tps = (name: string, i: number) => results[name]?.[i]?.tokens_per_second ?? Number.NaN;
  const contenders = Object.fromEntries(
    CONTENDERS.map(({ name }) => {
      const rs = results[name] ?? [];
      const mfu = perRun(
        (i) => (rs[i]?.gflops_per_second ?? Number.NaN) / (peaks[i] ?? Number.NaN),
      );
      return [
        name,
        {
          tokens_per_second: median(rs.map((r) => r.tokens_per_second)),
          gflops_per_second: median(rs.map((r) => r.gflops_per_second)),
          mfu: median(mfu),
          mfu_per_run: mfu,
          peak_rss_mb: median(rs.map((r) => r.peak_rss_mb)),
          final_loss: median(rs.map((r) => r.final_loss)),
          runs: verbose ? rs : undefined,
        },
      ];
    }),
  );
  const a = contenders.tailor;
  if (!a || others.some((name) => !contenders[name])) throw new Error("a contender gave no result");
  const lossGap = Math.max(
    0,
    ...others.map(
      (name) => Math.abs((contenders[name]?.final_loss ?? 0) - a.final_loss) / a.final_loss,
    ),
  );
  const engineSays = median((results.tailor ?? []).map((r) => r.engine_tokens_per_second ?? 0));
  const ratios = Object.fromEntries(
    others.map((name) => [
      name,
      {
        ratio: a.tokens_per_second / (contenders[name]?.tokens_per_second ?? Number.NaN),
        per_run: perRun((i) => tps("tailor", i) / tps(name, i)),
      },
    ]),
  );
  // each bf16 contender's loss against the same contender's in fp32 (--fp32-reference)
  const offFp32 = Object.fromEntries(
    ["tailor", "trainer-padding"]
      .filter((name) => contenders[`${name}-fp32`] && contenders[name])
      .map((name) => {
        const want = contenders[`${name}-fp32`]?.final_loss ?? Number.NaN;
        return [name, Math.abs((contenders[name]?.final_loss ?? Number.NaN) - want) / want];
      }),
  );
  // the highest MFU these steps allow: their products alone, each at its fastest (bound.py)
  const productsAlone = {
    tokens_per_second: median(bounds.map((b) => b.tokens_per_second)),
    gflops_per_second: median(bounds.map((b) => b.gflops_per_second)),
    mfu: median(
      perRun((i) => (bounds[i]?.gflops_per_second ?? Number.NaN) / (peaks[i] ?? Number.NaN)),
    ),
    // how much of tailor's step time its products alone would take
    of_tailor_step: median(
      perRun((i) => tps("tailor", i) / (bounds[i]?.tokens_per_second ?? Number.NaN)),
    ),
    share: bounds[0]?.share,
  };
  return {
    shape,
    timed_tokens: results.tailor?.[0]?.tokens,
    precision: results.tailor?.[0]?.precision,
    matmul_gflops: median(peaks),
    contenders,
    products_alone: productsAlone,
    engine_reported_tokens_per_second: engineSays,
    tailor_over: ratios,
    max_loss_gap: lossGap,
    loss_off_fp32: offFp32,
    valid: lossGap <= LOSS_TOLERANCE,
  };
}

const measured = shapes.map((shape) => measure(shape as Shape));
const result = {
  benchmark: "train-throughput",
  model: "smollm2-135m-instruct",
  cpu: cpuSummary(),
  settings: { ...settings, examples, runs },
  shapes: measured,
};
if (json) console.log(JSON.stringify(result));
else {
  const fixed = (x: number, d = 0) => x.toFixed(d);
  for (const m of measured) {
    console.log(
      `LoRA training of smollm2-135m-instruct on ${m.shape} examples, ${steps} timed steps of ${perStep} examples ` +
        `(${m.timed_tokens} tokens) after ${warmup} warm-up steps, median of ${runs} runs, ` +
        `${result.cpu.cores} CPUs (${result.cpu.model}; ${result.cpu.flags.join(" ")}), ${m.precision}, ` +
        `LoRA dropout ${settings.lora_dropout}; ` +
        `matmul peak ${fixed(m.matmul_gflops)} GFLOP/s:`,
    );
    console.log("  contender             tokens/s   GFLOP/s    MFU   peak MB   loss");
    for (const [name, s] of Object.entries(m.contenders))
      console.log(
        `  ${name.padEnd(20)} ${fixed(s.tokens_per_second).padStart(9)} ${fixed(s.gflops_per_second).padStart(9)} ${`${fixed(100 * s.mfu, 1)}%`.padStart(6)} ${fixed(s.peak_rss_mb).padStart(9)}   ${s.final_loss.toFixed(4)}`,
      );
    const p = m.products_alone;
    console.log(
      `  ${"products alone".padEnd(20)} ${fixed(p.tokens_per_second).padStart(9)} ${fixed(p.gflops_per_second).padStart(9)} ${`${fixed(100 * p.mfu, 1)}%`.padStart(6)}` +
        `   (the steps' model products, each timed alone at its shape: the highest MFU these steps allow; ` +
        `${Object.entries(p.share ?? {})
          .map(([kind, x]) => `${kind} ${fixed(100 * x)}%`)
          .join(", ")})`,
    );
    console.log(
      `  tailor's steps take ${fixed(1 / p.of_tailor_step, 2)}x the time of their products alone`,
    );
    if (others.length)
      console.log(
        `  ${Object.entries(m.tailor_over)
          .map(
            ([name, r]) =>
              `tailor / ${name}: ${r.ratio.toFixed(2)}x (per run ${r.per_run.map((x) => x.toFixed(2)).join(", ")})`,
          )
          .join("; ")}`,
      );
    console.log(
      `  the engine's own tokens_per_second over the same steps: ${fixed(m.engine_reported_tokens_per_second)} ` +
        `(the benchmark's: ${fixed(m.contenders.tailor?.tokens_per_second ?? Number.NaN)})`,
    );
    console.log(
      !others.length
        ? "  no other contender (--contenders): no ratios, no losses to compare"
        : m.valid
          ? `  losses agree within ${(m.max_loss_gap * 100).toFixed(2)}%`
          : `  COMPARISON VOID: the losses differ by ${(m.max_loss_gap * 100).toFixed(1)}% (more than ${LOSS_TOLERANCE * 100}%), so the contenders did not do the same work`,
    );
    if (Object.keys(m.loss_off_fp32).length)
      console.log(
        `  bf16 loss against the same contender's in fp32: ${Object.entries(m.loss_off_fp32)
          .map(([name, gap]) => `${name} ${(gap * 100).toFixed(2)}% off`)
          .join(", ")}`,
      );
  }
  console.log(JSON.stringify(result));
}
if (measured.some((m) => !m.valid)) process.exitCode = 1;
