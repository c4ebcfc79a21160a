/**
 * Text classification, measured: on a labelled e-mail set (examples/email-routing, its train/val
 * split), a classifier fine-tuned from all-MiniLM-L6-v2 (`tailor train --task classify`) against
 * SmolLM2-135M fine-tuned with LoRA to answer the label (`tailor train` on the same texts as chat
 * lines), both through the real CLI and engine in a temporary TAILOR_HOME. Reported side by side:
 * accuracy and macro-F1 on the held-out texts, training time, and classifications per second (the
 * classifier through the serve process's classify, the language model through generate-batch, each
 * after its model is loaded, `--runs` times, median).
 * Usage: npx tsx bench/classify.ts [--data DIR] [--epochs 3] [--runs 3] [--json] [--keep]
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";
import { engineResult } from "../src/engine/index.ts";
import { InferenceEngine } from "../src/serving/index.ts";
import { cpuSummary, median } from "./lib/python.ts";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const ROOT = fileURLToPath(new URL("../", import.meta.url));
const DATA = arg("--data", join(ROOT, "examples/email-routing"));
const epochs = Number(arg("--epochs", "3"));
const runs = Number(arg("--runs", "3"));
const json = process.argv.includes("--json");
const keep = process.argv.includes("--keep");
const BIN = join(ROOT, "bin/tailor");
const LLM = "smollm2-135m-instruct";
const home = mkdtempSync(join(tmpdir(), "tailor-bench-classify-"));
const env = { ...process.env, TAILOR_HOME: home, HF_HUB_OFFLINE: "1" };

interface Labelled {
  text: string;
  label: string;
}

/** train.* or val.* of the data folder: CSV/TSV with text,label columns, or JSONL {text, label}. */
function read(split: "train" | "val"): { file: string; rows: Labelled[] } {
  for (const ext of ["csv", "tsv", "jsonl"]) {
    const file = join(DATA, `${split}.${ext}`);
    if (!existsSync(file)) continue;
    const content = readFileSync(file, "utf8");
    const rows =
      ext === "jsonl"
        ? content
            .split("\n")
            .filter((l) => l.trim())
            .map((l) => JSON.parse(l) as { text: string; label?: string; labels?: string[] })
            .map((r) => ({ text: r.text, label: r.label ?? r.labels?.[0] ?? "" }))
        : (
            parse(content, {
              columns: true,
              delimiter: ext === "tsv" ? "\t" : ",",
              bom: true,
            }) as Record<string, string>[]
          ).map((r) => ({ text: r.text ?? "", label: r.label ?? "" }));
    return { file, rows };
  }
  throw new Error(`${DATA} has no ${split}.csv, ${split}.tsv or ${split}.jsonl`);
}

function tailor(...args: string[]): string {
  const started = Date.now();
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0)
    throw new Error(`tailor ${args.join(" ")} failed (exit ${r.status}):\n${r.stderr}`);
  if (!json) console.error(`tailor ${args[0]}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return r.stdout;
}

const train = read("train");
const val = read("val");
const labels = [...new Set(train.rows.map((r) => r.label))].sort();
const truth = val.rows.map((r) => r.label);

/** Accuracy and macro-F1 (over the training labels; an answer that is no label is wrong). */
function score(predicted: (string | null)[]) {
  const correct = predicted.filter((p, i) => p === truth[i]).length;
  const f1s = labels.map((l) => {
    const tp = predicted.filter((p, i) => p === l && truth[i] === l).length;
    const fp = predicted.filter((p, i) => p === l && truth[i] !== l).length;
    const fn = predicted.filter((p, i) => p !== l && truth[i] === l).length;
    return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  });
  return {
    accuracy: correct / truth.length,
    macro_f1: f1s.reduce((a, b) => a + b, 0) / f1s.length,
    not_a_label: predicted.filter((p) => p === null).length,
  };
}

const trainSecondsOf = (name: string) =>
  (
    JSON.parse(tailor("models", "show", name, "--json")) as {
      training?: { train_seconds?: number };
    }
  ).training?.train_seconds ?? Number.NaN;

// 1. the classifier: trained, then classifying every held-out text at once, `runs` times
let started = Date.now();
tailor(
  ...["train", "--task", "classify", "--data", train.file, "--val", val.file],
  ...["--name", "mail-classifier", "--wait"],
);
const clfJobSeconds = (Date.now() - started) / 1000;
const clfDir = join(home, "models", "mail-classifier");
const engine = new InferenceEngine({ env });
const texts = val.rows.map((r) => r.text);
let clfPredicted: (string | null)[] = [];
const clfRates: number[] = [];
try {
  await engine.classify(clfDir, texts.slice(0, 1)); // loads it
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const out = await engine.classify(clfDir, texts);
    clfRates.push(texts.length / ((performance.now() - t) / 1000));
    clfPredicted = out.results.map((r) => r.predicted[0] ?? null);
  }
} finally {
  await engine.close();
}

// 2. SmolLM2 taught to answer the label, on the same texts as chat lines
const SYSTEM = `Sort the e-mail into one label. Answer with the label only: ${labels.join(", ")}.`;
const chat = (r: Labelled) => [
  { role: "system" as const, content: SYSTEM },
  { role: "user" as const, content: r.text },
];
const chatFile = (name: string, rows: Labelled[]) => {
  const file = join(home, name);
  writeFileSync(
    file,
    rows
      .map((r) =>
        JSON.stringify({ messages: [...chat(r), { role: "assistant", content: r.label }] }),
      )
      .join("\n"),
  );
  return file;
};
started = Date.now();
tailor(
  ...["train", "--base", LLM, "--data", chatFile("train-chat.jsonl", train.rows)],
  ...["--val", chatFile("val-chat.jsonl", val.rows), "--epochs", String(epochs)],
  ...["--name", "mail-llm", "--wait"],
);
const llmJobSeconds = (Date.now() - started) / 1000;
const asLabel = (answer: string) => {
  const a = answer
    .trim()
    .replace(/[.!"']+$/g, "")
    .trim()
    .toLowerCase();
  return labels.find((l) => l.toLowerCase() === a) ?? null;
};
let llmPredicted: (string | null)[] = [];
const llmRates: number[] = [];
for (let i = 0; i < runs; i++) {
  const out = await engineResult(
    "generate-batch",
    {
      models: [
        { base: { kind: "builtin", name: LLM }, adapter_dir: join(home, "models", "mail-llm") },
      ],
      conversations: val.rows.map(chat),
      max_tokens: 8,
      batch_size: 8,
    },
    "generations",
    { env },
  );
  const r = out.results[0];
  if (!r) throw new Error("generate-batch answered nothing");
  llmRates.push(texts.length / r.seconds);
  llmPredicted = r.texts.map(asLabel);
}

const clf = { ...score(clfPredicted), train_seconds: trainSecondsOf("mail-classifier") };
const llm = { ...score(llmPredicted), train_seconds: trainSecondsOf("mail-llm") };
const result = {
  benchmark: "classify",
  machine: cpuSummary(),
  data: { dir: DATA, train: train.rows.length, held_out: val.rows.length, labels },
  classifier: {
    base: "all-MiniLM-L6-v2",
    ...clf,
    job_seconds: Math.round(clfJobSeconds),
    per_second: median(clfRates),
    per_run: clfRates,
  },
  llm: {
    base: LLM,
    epochs,
    ...llm,
    job_seconds: Math.round(llmJobSeconds),
    per_second: median(llmRates),
    per_run: llmRates,
  },
};
if (json) console.log(JSON.stringify(result, null, 2));
else {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const c = result.classifier;
  const l = result.llm;
  const rows = [
    ["", "MiniLM classifier", `SmolLM2-135M LoRA (${epochs} epochs)`, "ratio"],
    ["---", "---:", "---:", "---:"],
    ["accuracy", pct(c.accuracy), pct(l.accuracy), `${(c.accuracy / l.accuracy).toFixed(2)}x`],
    ["macro-F1", pct(c.macro_f1), pct(l.macro_f1), `${(c.macro_f1 / l.macro_f1).toFixed(2)}x`],
    [
      "training (engine's loop)",
      `${c.train_seconds.toFixed(0)} s`,
      `${l.train_seconds.toFixed(0)} s`,
      `${(l.train_seconds / c.train_seconds).toFixed(1)}x faster`,
    ],
    [
      "training job (with its test)",
      `${c.job_seconds} s`,
      `${l.job_seconds} s`,
      `${(l.job_seconds / c.job_seconds).toFixed(1)}x faster`,
    ],
    [
      "classifications/s",
      c.per_second.toFixed(1),
      l.per_second.toFixed(1),
      `${(c.per_second / l.per_second).toFixed(1)}x`,
    ],
    ["answers that are no label", "0", String(l.not_a_label), ""],
  ];
  console.log(rows.map((r) => `| ${r.join(" | ")} |`).join("\n"));
  console.log(
    `\n${result.data.train} training and ${result.data.held_out} held-out texts, labels ${labels.join(", ")}; classifications/s: median of ${runs} (classifier: ${clfRates.map((r) => r.toFixed(0)).join(", ")}; SmolLM2: ${llmRates.map((r) => r.toFixed(1)).join(", ")})`,
  );
}
if (keep) console.error(`TAILOR_HOME kept: ${home}`);
else rmSync(home, { recursive: true, force: true });
