import type { Command } from "commander";
import { type ClassifierModel, resolveClassifier } from "../../models/index.ts";
import { type Classification, InferenceEngine } from "../../serving/index.ts";
import { positiveInt } from "../args.ts";
import { type TextToClassify, textsToClassify } from "../classify-input.ts";
import { printJson, say, table } from "../output.ts";
import { CountProgress } from "../progress.ts";
import { withTailor } from "../services.ts";

interface ClassifyFlags {
  json?: boolean;
  batch: number;
  verbose?: boolean;
}

const BAR_WIDTH = 30;
const TEXT_WIDTH = 70;

export function registerClassify(program: Command): void {
  program
    .command("classify")
    .argument(
      "<model>",
      "a classifier (trained with `tailor train --task classify`), or its folder",
    )
    .argument(
      "<text-or-file>",
      "a text, or a file of texts: .txt (one per line), .jsonl (a text field per line), .csv/.tsv (a text column); - reads lines from stdin",
    )
    .description("sort texts into the labels a classifier was trained on, with their scores")
    .option("--json", "print one JSON object per text (JSON lines)")
    .option(
      "--batch <n>",
      "texts sent to the engine at a time",
      (v) => positiveInt(v, "--batch"),
      256,
    )
    .action(async (model: string, input: string, f: ClassifyFlags, cmd: Command) => {
      const classifier = withTailor((svc) => resolveClassifier(svc.models, model));
      const { texts, file } = textsToClassify(input);
      const verbose = Boolean(cmd.optsWithGlobals().verbose);
      const engine = new InferenceEngine(
        verbose ? { onLog: (l) => process.stderr.write(`[engine] ${l}\n`) } : {},
      );
      const progress =
        file && texts.length > f.batch ? new CountProgress("classifying", texts.length) : null;
      const started = Date.now();
      const results: Classification[] = [];
      try {
        for (let at = 0; at < texts.length; at += f.batch) {
          const chunk = texts.slice(at, at + f.batch);
          const out = await engine.classify(
            classifier.dir,
            chunk.map((t) => t.text),
          );
          if (f.json)
            out.results.forEach((r, i) => {
              printJson(jsonLine(at + i, chunk[i] as TextToClassify, r));
            });
          results.push(...out.results);
          progress?.update(results.length);
        }
      } finally {
        progress?.stop();
        await engine.close();
      }
      const seconds = (Date.now() - started) / 1000;
      if (f.json) return;
      if (texts.length === 1 && !file) {
        console.log(scoreBars(results[0] as Classification, classifier));
        return;
      }
      console.log(resultTable(texts, results, file !== null));
      say(summary(results, classifier, seconds));
    });
}

function jsonLine(index: number, t: TextToClassify, r: Classification) {
  return {
    index,
    ...(t.line !== undefined ? { line: t.line } : {}),
    text: t.text,
    label: r.predicted[0] ?? null,
    predicted: r.predicted,
    labels: r.labels,
  };
}

/** One text: every label with its score as a bar, the predicted ones marked. */
function scoreBars(r: Classification, c: ClassifierModel): string {
  const width = Math.max(...r.labels.map((l) => l.label.length));
  const lines = r.labels.map(({ label, score }) => {
    const mark = r.predicted.includes(label) ? "*" : " ";
    const bar = "█".repeat(Math.round(score * BAR_WIDTH));
    return `${mark} ${label.padEnd(width)}  ${score.toFixed(3)}  ${bar}`;
  });
  const none = c.multiLabel && r.predicted.length === 0 ? ["(no label reaches the threshold)"] : [];
  return [...lines, ...none].join("\n");
}

function resultTable(
  texts: TextToClassify[],
  results: Classification[],
  fromFile: boolean,
): string {
  const rows = results.map((r, i) => {
    const t = texts[i] as TextToClassify;
    const scores = new Map(r.labels.map((l) => [l.label, l.score]));
    return [
      String(fromFile ? (t.line ?? i + 1) : i + 1),
      r.predicted.join(", ") || "(none)",
      (r.predicted.length ? r.predicted : [r.labels[0]?.label ?? ""])
        .map((l) => (scores.get(l) ?? 0).toFixed(3))
        .join(", "),
      clip(t.text),
    ];
  });
  return table([[fromFile ? "LINE" : "#", "LABEL", "SCORE", "TEXT"], ...rows]);
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > TEXT_WIDTH ? `${flat.slice(0, TEXT_WIDTH - 1)}…` : flat;
}

function summary(results: Classification[], c: ClassifierModel, seconds: number): string {
  const counts = new Map<string, number>(c.labels.map((l) => [l, 0]));
  for (const r of results) for (const l of r.predicted) counts.set(l, (counts.get(l) ?? 0) + 1);
  const none = results.filter((r) => r.predicted.length === 0).length;
  const perLabel = [...counts].map(([l, n]) => `${l} ${n}`).join(", ");
  const rate =
    seconds > 0 ? `, ${(results.length / seconds).toFixed(1)} texts/s with the engine's start` : "";
  return `classified ${results.length} texts with ${c.name} in ${seconds.toFixed(1)}s${rate}: ${perLabel}${none ? `, no label ${none}` : ""}`;
}
