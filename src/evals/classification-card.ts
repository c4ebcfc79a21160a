/**
 * What a text classifier's card says differently from a model that writes answers: how it was
 * trained (the whole encoder, no LoRA), what it is for (its labels), its limits, and in its evaluation
 * the majority-label baseline, each label's precision and recall, the confusion table and calibration.
 */

import type { ClassificationDetails, EvaluationReport, ModelCard } from "../../protocol/evals.ts";
import type { DatasetVersion } from "../datasets/index.ts";
import type { FineTunedManifest } from "./card.ts";

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function classifierHyperparameters(
  m: FineTunedManifest,
  job: { early_stopping_patience: number; validation_note: string } | null,
): ModelCard["hyperparameters"] {
  return {
    epochs: m.training.epochs,
    learning_rate: m.training.learning_rate,
    batch_size: m.training.batch_size,
    seed: m.training.seed,
    ...(job
      ? {
          early_stopping_patience: job.early_stopping_patience,
          validation: job.validation_note.replace(/^validation: /, ""),
        }
      : {}),
    method: "the whole encoder fine-tuned with a classification head",
  };
}

export function classifierIntendedUse(m: FineTunedManifest, v: DatasetVersion | null): string {
  const labels = m.labels ?? [];
  return `A text classifier from ${m.base.name}: it gives each text ${m.multi_label ? "any of the labels" : "one of the labels"} ${labels.map((l) => `"${l}"`).join(", ")}, with a score for each, learned from ${m.training.train_examples} labelled texts${v ? ` (dataset ${v.name}, ${v.id})` : ""}. Use it on texts like those (\`tailor classify\`, POST /v1/classifications) and look at the scores where a wrong label costs much. It writes no answers.`;
}

export function classifierLimitations(
  m: FineTunedManifest,
  train: DatasetVersion | null,
  evaluation: EvaluationReport | null,
): string[] {
  const out: string[] = [];
  const t = m.training;
  if (t.train_examples < 100)
    out.push(
      `It learned from only ${t.train_examples} texts: wordings unlike them may get the wrong label.`,
    );
  const counts = train?.report.stats.labels?.counts;
  if (counts) {
    const few = Object.entries(counts).filter(([, n]) => n < 20);
    if (few.length)
      out.push(
        `Some labels had few training texts (${few.map(([l, n]) => `"${l}": ${n}`).join(", ")}); it is least sure of those.`,
      );
  }
  if (!t.val_file)
    out.push(
      "No texts were held out: it was not tested, and its scores were not calibrated (temperature 1).",
    );
  const c = evaluation?.classification;
  if (c) {
    const weak = Object.entries(c.per_label).filter(([, s]) => s.support > 0 && s.recall < 0.7);
    if (weak.length)
      out.push(
        `On the held-out texts it found less than 70% of ${weak.map(([l, s]) => `"${l}" (${pct(s.recall)})`).join(", ")}.`,
      );
    if (evaluation && evaluation.data.examples < 50)
      out.push(
        `It was tested on ${evaluation.data.examples} held-out texts only: the scores are rough.`,
      );
  }
  out.push(
    `It reads the first 256 tokens of a text; it only knows the labels it was trained on, and gives one of them even to a text that fits none. The labels carry the choices of whoever wrote them. It keeps the limits of its encoder (${m.base.name}), which learned English.`,
  );
  return out;
}

/** The Evaluation section of a classifier's card, in Markdown lines. */
export function classificationMarkdown(
  model: string,
  e: NonNullable<ModelCard["evaluation"]>,
  c: ClassificationDetails,
): string[] {
  const baseline = c.baseline.labels.join(", ") || "no label";
  const f = (x: number | undefined) => (x === undefined ? "–" : pct(x));
  const lines = [
    `On ${e.examples} held-out texts (${e.data}). A classifier has no base model that could answer, so it is compared with always answering "${baseline}", the most common label ${c.baseline.counted_on === "training" ? "in training" : "of the held-out texts"}.`,
    "",
    `| metric | ${model} | always "${baseline}" |`,
    "| --- | ---: | ---: |",
    `| accuracy | ${f(e.model.accuracy)} | ${f(e.base?.accuracy)} |`,
    `| macro-F1 | ${f(e.model.macro_f1)} | ${f(e.base?.macro_f1)} |`,
    "",
    "| label | precision | recall | F1 | held-out texts |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...Object.entries(c.per_label).map(
      ([l, s]) => `| ${l} | ${pct(s.precision)} | ${pct(s.recall)} | ${pct(s.f1)} | ${s.support} |`,
    ),
  ];
  if (c.confusion) {
    const labels = c.confusion.labels;
    lines.push(
      "",
      "Confusion table (rows: the right label; columns: the label it gave):",
      "",
      `| | ${labels.join(" | ")} |`,
      `| --- | ${labels.map(() => "---:").join(" | ")} |`,
      ...c.confusion.matrix.map((row, i) => `| **${labels[i]}** | ${row.join(" | ")} |`),
    );
  }
  const k = c.calibration;
  const ece = "0% would mean a score of 0.8 is right 80% of the time";
  lines.push(
    "",
    k.temperature === 1
      ? `Scores are not calibrated (too few validation texts to fit a temperature): expected calibration error ${pct(k.ece_after)} (${ece}).`
      : `Scores are calibrated with a temperature of ${k.temperature.toFixed(2)} fitted on the validation texts: expected calibration error ${pct(k.ece_after)}, ${pct(k.ece_before)} without it (${ece}).`,
  );
  return lines;
}
