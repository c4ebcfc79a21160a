/**
 * Function calling, measured: SmolLM2-135M trained on the bike shop's functions
 * (examples/bike-shop-tools) through the real CLI and engine, in a temporary TAILOR_HOME, then
 * tested on the 39 held-out lines: decision, function, exact arguments, each argument field, the
 * share of calls that parse and fit their schema, for the base, the tuned model, and the tuned model
 * with constrained decoding; and what the constraint costs in generated tokens per second (the
 * same prompts answered with and without it, back to back, `--runs` times each).
 * Usage: npx tsx bench/tool-calling.ts [--epochs 2] [--runs 2] [--json] [--keep]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { EvaluationReport, MetricName } from "../protocol/evals.ts";
import { metricLabel } from "../src/evals/index.ts";
import { cpuSummary, median } from "./lib/python.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const epochs = arg("--epochs", 2);
const runs = arg("--runs", 2);
const json = process.argv.includes("--json");
const keep = process.argv.includes("--keep");

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const BIN = join(ROOT, "bin/tailor");
const DATA = join(ROOT, "examples/bike-shop-tools");
const BASE = "smollm2-135m-instruct";
const home = mkdtempSync(join(tmpdir(), "tailor-bench-tools-"));

function tailor(...args: string[]): string {
  const started = Date.now();
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    env: { ...process.env, TAILOR_HOME: home, HF_HUB_OFFLINE: "1" },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0)
    throw new Error(`tailor ${args.join(" ")} failed (exit ${r.status}):\n${r.stderr}`);
  if (!json) console.error(`tailor ${args[0]}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return r.stdout;
}

// 1. train, with the held-out lines as validation: the job's own test is base against tuned
const trainStarted = Date.now();
tailor(
  ...[
    "train",
    "--base",
    BASE,
    "--data",
    join(DATA, "train.jsonl"),
    "--val",
    join(DATA, "val.jsonl"),
  ],
  ...["--name", "bike-tools", "--epochs", String(epochs), "--wait"],
);
const trainSeconds = (Date.now() - trainStarted) / 1000;
const shown = JSON.parse(tailor("models", "show", "bike-tools", "--json")) as {
  evaluation: EvaluationReport | null;
  training?: { hyperparameters?: Record<string, unknown> };
};
const plain = shown.evaluation;
if (plain?.kind !== "tools") throw new Error("the job stored no tool evaluation");

// 2. the tuned model with and without the constraint, alternating, for the speed ratio
const evalOf = (constrained: boolean) =>
  JSON.parse(
    tailor(
      ...["eval", "bike-tools", "--data", join(DATA, "val.jsonl"), "--json"],
      ...(constrained ? ["--constrained"] : []),
    ),
  ) as EvaluationReport;
const free: EvaluationReport[] = [];
const held: EvaluationReport[] = [];
for (let i = 0; i < runs; i++) {
  free.push(evalOf(false));
  held.push(evalOf(true));
}
const tps = (r: EvaluationReport) => {
  const m = r.models[0];
  return m ? m.completion_tokens / m.seconds : Number.NaN;
};
const freeTps = median(free.map(tps));
const heldTps = median(held.map(tps));

const [tuned, base] = plain.models;
const constrained = held[0]?.models[0];
if (!tuned || !base || !constrained) throw new Error("missing scores");
const columns = [
  { name: `base (${BASE})`, s: base },
  { name: "tuned", s: tuned },
  { name: "tuned + constraint", s: constrained },
];
const METRICS: MetricName[] = [
  "tool_accuracy",
  "decision_accuracy",
  "function_accuracy",
  "arguments_exact",
  "argument_fields",
  "calls_parse",
  "calls_valid",
  "words_rouge_l",
];
const pct = (x: number | undefined) => (x === undefined ? "–" : `${(x * 100).toFixed(1)}%`);
const fields = Object.keys(tuned.argument_fields ?? {});
const result = {
  benchmark: "tool-calling",
  machine: cpuSummary(),
  data: { train: 126, held_out: plain.data.examples },
  training: { base: BASE, epochs, seconds: Math.round(trainSeconds) },
  scores: Object.fromEntries(
    columns.map((c) => [
      c.name,
      { metrics: c.s.metrics, argument_fields: c.s.argument_fields ?? {} },
    ]),
  ),
  speed: {
    runs,
    tokens_per_second: { unconstrained: freeTps, constrained: heldTps },
    ratio: heldTps / freeTps,
    per_run: { unconstrained: free.map(tps), constrained: held.map(tps) },
  },
  // the constraint changes the answers only where the model opens a call
  answers_changed_by_constraint:
    held[0]?.examples.filter((e, i) => e.outputs[0] !== free[0]?.examples[i]?.outputs[0]).length ??
    0,
};
if (json) console.log(JSON.stringify(result, null, 2));
else {
  const rows = [
    ["metric", ...columns.map((c) => c.name)],
    ["---", ...columns.map(() => "---:")],
    ...METRICS.map((k) => [metricLabel(k), ...columns.map((c) => pct(c.s.metrics[k]))]),
    ...fields.map((f) => [
      `\`${f}\``,
      ...columns.map((c) => {
        const t = c.s.argument_fields?.[f];
        return t ? `${pct(t.correct / t.total)} (${t.correct}/${t.total})` : "–";
      }),
    ]),
  ];
  console.log(rows.map((r) => `| ${r.join(" | ")} |`).join("\n"));
  console.log(
    `\ntokens/s (median of ${runs}): ${freeTps.toFixed(1)} unconstrained, ${heldTps.toFixed(1)} constrained: ${(heldTps / freeTps).toFixed(2)}x; the constraint changed ${result.answers_changed_by_constraint} of ${plain.data.examples} answers`,
  );
  console.log(
    `training: ${epochs} epochs in ${Math.round(trainSeconds)} s (job total, with its test)`,
  );
}
if (keep) console.error(`TAILOR_HOME kept: ${home}`);
else rmSync(home, { recursive: true, force: true });
