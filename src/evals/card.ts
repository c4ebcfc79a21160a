/**
 * The model card of a fine-tuned model (Markdown and JSON): what it was made from, how, how it did
 * against its base, and what it is and is not for. Built from what it is handed (the model's
 * manifest and evaluation, its job's settings and loss curves, its dataset versions), so it can be
 * written again at any time; the jobs domain gathers those (src/jobs/card.ts).
 */
import { join } from "node:path";
import type { EvaluationReport, METRICS, ModelCard } from "../../protocol/evals.ts";
import type { DatasetVersion } from "../datasets/index.ts";
import { describeSource, type ModelManifest } from "../models/index.ts";
import { diagnoseUnderfitting } from "../training/index.ts";
import { biasLimitation, biasMarkdown } from "./bias/render.ts";
import {
  classificationMarkdown,
  classifierHyperparameters,
  classifierIntendedUse,
  classifierLimitations,
} from "./classification-card.ts";
import { forgettingLimitation, forgettingMarkdown } from "./forgetting/card.ts";
import { outputKind, words } from "./metrics.ts";
import { decidePromotion, metricLabel } from "./promotion.ts";
import { writeFileAtomic, writeJsonAtomic } from "./store.ts";

export const CARD_JSON = "model-card.json";
export const CARD_MARKDOWN = "MODEL_CARD.md";

export type FineTunedManifest = Extract<ModelManifest, { kind: "fine_tuned" }>;
type FineTuned = FineTunedManifest;

/** Everything a card shows, gathered by its caller. */
export interface CardInput {
  name: string;
  manifest: FineTunedManifest;
  evaluation: EvaluationReport | null;
  /** The job that made it, when it is still in the store. */
  job: {
    id: string;
    owner: string | null;
    early_stopping_patience: number;
    validation_note: string;
  } | null;
  /** Who made it when no job says so (the local user). */
  localUser: string;
  /** Loss curves as [step, loss] points. */
  curves: { train: [number, number][]; val: [number, number][] };
  datasets: { train: DatasetVersion | null; val: DatasetVersion | null };
  /** The expected answers of the training examples (the last assistant message of each). */
  trainAnswers: string[];
  /** The model it continued from, as the stores know it now (null: trained from its base). */
  parent?: ModelCard["parent"];
}

/** At most `n` points of a curve, evenly spread, always keeping the first and the last. */
export function thin(points: [number, number][], n = 20): [number, number][] {
  if (points.length <= n) return points;
  const picked = Array.from(
    { length: n },
    (_, i) => points[Math.round((i * (points.length - 1)) / (n - 1))] as [number, number],
  );
  return picked;
}

/** A curve as a line of block characters (▁ low … █ high). */
export function sparkline(values: number[]): string {
  const ticks = "▁▂▃▄▅▆▇█";
  if (values.length === 0) return "";
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return values
    .map((v) => ticks[hi === lo ? 3 : Math.round(((v - lo) / (hi - lo)) * (ticks.length - 1))])
    .join("");
}

function limitations(
  m: FineTuned,
  train: DatasetVersion | null,
  trainAnswers: string[],
  evaluation: EvaluationReport | null,
  finalVal: number | null,
): string[] {
  const out: string[] = [];
  const t = m.training;
  if (t.train_examples < 50) {
    out.push(
      `It learned from only ${t.train_examples} examples: questions unlike them may get the base model's behaviour, or answers copied from the examples.`,
    );
  }
  if (!t.val_file) {
    out.push(
      "No examples were held out, so overfitting (learning the examples by heart instead of the pattern) was not watched and the model was not tested on new questions.",
    );
  } else if (t.best_val_loss !== undefined && t.best_val_loss > 2 * t.final_train_loss) {
    out.push(
      `Its training loss (${t.final_train_loss.toFixed(3)}) is far below its validation loss (${t.best_val_loss.toFixed(3)}): it fits its own examples much better than new ones, a sign of overfitting.`,
    );
  }
  if (t.stopped_early) {
    out.push(
      `The overfitting guard stopped training at step ${t.model_step} of ${t.steps}, because validation loss stopped improving${finalVal !== null ? ` (it ended at ${finalVal.toFixed(3)})` : ""}.`,
    );
  }
  const tokens = train?.report.stats.tokens;
  if (tokens) {
    out.push(
      `Training conversations were ${tokens.min}–${tokens.max} tokens long; much longer inputs were not covered.`,
    );
  }
  if (trainAnswers.length > 0) {
    const kind = outputKind(trainAnswers);
    if (kind === "json") {
      out.push(
        "Every training answer is a JSON object: it was taught a format, not free conversation.",
      );
    }
    if (kind === "label") {
      const counts = new Map<string, number>();
      for (const a of trainAnswers) counts.set(a.trim(), (counts.get(a.trim()) ?? 0) + 1);
      const [top, n] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0] ?? ["", 0];
      const share = n / trainAnswers.length;
      if (share > 1 / counts.size + 0.15) {
        out.push(
          `${Math.round(share * 100)}% of the training answers are "${top}": the model may favour it when unsure.`,
        );
      }
    }
    const lengths = trainAnswers.map((a) => words(a).length).sort((a, b) => a - b);
    const median = lengths[Math.floor(lengths.length / 2)] ?? 0;
    out.push(
      `Half of the training answers are ${median} words or fewer; it will tend to answer at that length.`,
    );
  }
  if (evaluation) {
    if (evaluation.data.examples < 30) {
      out.push(
        `It was tested on ${evaluation.data.examples} held-out examples only: the scores are rough.`,
      );
    }
  }
  out.push(
    `The examples carry the choices and blind spots of whoever wrote them; the model repeats them. It keeps the limits of its base model (${m.base.name}): it can state false things confidently and knows nothing its base did not.`,
  );
  return out;
}

/** The card of a fine-tuned model, from what its caller gathered. */
export function buildCard(input: CardInput): ModelCard {
  const { name, manifest: m, evaluation, job, curves } = input;
  const { train: trainVersion, val: valVersion } = input.datasets;
  const dataset = (role: "training" | "validation", v: DatasetVersion) => ({
    role,
    id: v.id,
    sha256: v.train_sha256,
    examples: v.train_examples,
    pii_found: v.report.pii_counts as Record<string, number>,
    pii_redacted: (v.redaction ?? {}) as Record<string, number>,
  });
  const finalVal = curves.val.at(-1)?.[1] ?? null;
  const promotion = m.promotion ?? decidePromotion(evaluation, { model: name, minDelta: 0 });
  const primary = evaluation?.primary_metric;
  const classifier = m.method === "classify"; // ./classification-card.ts says what differs
  return {
    object: "tailor.model_card",
    model: name,
    base: { name: m.base.name, source: describeSource(m.base.source) },
    ...(input.parent ? { parent: input.parent } : {}),
    created_at: m.created_at,
    created_by: job?.owner ?? `${input.localUser} (local)`,
    job_id: m.training.job_id ?? null,
    datasets: [
      ...(trainVersion ? [dataset("training", trainVersion)] : []),
      ...(valVersion ? [dataset("validation", valVersion)] : []),
    ],
    hyperparameters: classifier
      ? classifierHyperparameters(m, job)
      : {
          epochs: m.training.epochs,
          learning_rate: m.training.learning_rate,
          batch_size: m.training.batch_size,
          lora_rank: m.training.lora_rank,
          lora_alpha: m.training.lora_alpha,
          seed: m.training.seed,
          ...(job
            ? {
                early_stopping_patience: job.early_stopping_patience,
                validation: job.validation_note.replace(/^validation: /, ""),
                method: "LoRA",
              }
            : {}),
        },
    training: {
      steps: m.training.steps,
      model_step: m.training.model_step ?? m.training.steps,
      first_train_loss: m.training.first_train_loss,
      final_train_loss: m.training.final_train_loss,
      best_val_loss: m.training.best_val_loss ?? null,
      final_val_loss: finalVal,
      stopped_early: m.training.stopped_early ?? false,
      seconds: m.training.train_seconds,
      train_curve: thin(curves.train),
      val_curve: thin(curves.val),
    },
    evaluation:
      evaluation && primary
        ? {
            data: evaluation.data.source,
            examples: evaluation.data.examples,
            kind: evaluation.kind,
            primary_metric: primary,
            model: evaluation.models[0]?.metrics ?? {},
            base: evaluation.models[1]?.metrics ?? null,
            outcome: evaluation.outcome,
            ...(evaluation.parent ? { parent: evaluation.parent } : {}),
            ...(evaluation.classification ? { classification: evaluation.classification } : {}),
            ...(evaluation.forgetting ? { forgetting: evaluation.forgetting } : {}),
            ...(evaluation.bias ? { bias: evaluation.bias } : {}),
          }
        : null,
    promotion,
    intended_use: classifier
      ? classifierIntendedUse(m, trainVersion)
      : intendedUse(m, input.trainAnswers, trainVersion),
    limitations: [
      ...(classifier
        ? classifierLimitations(m, trainVersion, evaluation)
        : limitations(m, trainVersion, input.trainAnswers, evaluation, finalVal)),
      ...learnedLimitations(input, evaluation),
      ...biasLimitation(evaluation?.bias),
    ],
  };
}

/** Underfitting (training loss flat or still falling) and general answers lost to tuning. */
function learnedLimitations(input: CardInput, evaluation: EvaluationReport | null): string[] {
  const underfit = diagnoseUnderfitting(input.curves.train, {
    val: input.curves.val,
    stoppedEarly: input.manifest.training.stopped_early,
  });
  const forgot = evaluation?.forgetting ? forgettingLimitation(evaluation.forgetting) : null;
  return [...(underfit ? [underfit.message] : []), ...(forgot ? [forgot] : [])];
}

function intendedUse(m: FineTuned, answers: string[], v: DatasetVersion | null): string {
  const kind = answers.length ? outputKind(answers) : "text";
  const what =
    kind === "json"
      ? "answer with JSON objects shaped like the training examples"
      : kind === "label"
        ? `label inputs with one of: ${[...new Set(answers.map((a) => a.trim()))].slice(0, 8).join(", ")}`
        : "answer in the tone, format and length of the training examples";
  const from = m.parent ? `${m.base.name}, continuing ${m.parent.name},` : m.base.name;
  return `Fine-tuned from ${from} to ${what}, on ${m.training.train_examples}${m.parent ? " more" : ""} examples${v ? ` (dataset ${v.name}, ${v.id})` : ""}. Use it for questions like those examples, and check its answers where mistakes matter.`;
}

const pct = (x: number | undefined) => (x === undefined ? "–" : `${(x * 100).toFixed(1)}%`);

export function renderCardMarkdown(card: ModelCard): string {
  const t = card.training;
  const lines = [
    `# Model card: ${card.model}`,
    "",
    `**Status: ${card.promotion.status === "ready" ? "ready" : "needs review"}.** ${card.promotion.reason}`,
    "",
    `- Base model: ${card.base.name} (${card.base.source})`,
    ...(card.parent ? [`- Continued from: ${parentLine(card.parent)}`] : []),
    `- Made by ${card.created_by} on ${new Date(card.created_at * 1000).toISOString().slice(0, 10)}${card.job_id ? `, job ${card.job_id}` : ""}`,
    "",
    "## Intended use",
    "",
    card.intended_use,
    "",
    "## Data",
    "",
    ...(card.datasets.length
      ? [
          "| role | dataset | examples | sha256 | personal data found | redacted |",
          "| --- | --- | ---: | --- | --- | --- |",
          ...card.datasets.map(
            (d) =>
              `| ${d.role} | ${d.id} | ${d.examples} | \`${d.sha256.slice(0, 16)}…\` | ${counts(d.pii_found)} | ${counts(d.pii_redacted)} |`,
          ),
        ]
      : ["The training data is not in this Tailor home any more."]),
    "",
    "## Training",
    "",
    "| setting | value |",
    "| --- | --- |",
    ...Object.entries(card.hyperparameters).map(([k, v]) => `| ${k.replaceAll("_", " ")} | ${v} |`),
    "",
    `${t.steps} steps in ${Math.round(t.seconds)} s. Training loss (how wrong the model is on its examples; lower is better) went from ${fmt(t.first_train_loss)} to ${fmt(t.final_train_loss)}${t.train_curve.length > 1 ? `: ${sparkline(t.train_curve.map((p) => p[1]))}` : "."}`,
    ...(t.val_curve.length
      ? [
          "",
          `Validation loss (the same, on held-out examples) was lowest at ${fmt(t.best_val_loss)} and ended at ${fmt(t.final_val_loss)}: ${sparkline(t.val_curve.map((p) => p[1]))}`,
        ]
      : []),
    ...(t.stopped_early
      ? [
          "",
          `The overfitting guard stopped the run; the model is the checkpoint from step ${t.model_step}.`,
        ]
      : []),
    "",
    "## Evaluation",
    "",
  ];
  const e = card.evaluation;
  if (e?.classification) lines.push(...classificationMarkdown(card.model, e, e.classification));
  else if (e) {
    lines.push(
      `On ${e.examples} held-out examples (${e.data}); the primary metric is ${metricLabel(e.primary_metric)}.`,
      "",
      `| metric | ${card.model} | ${e.base ? `${card.base.name} | change |` : ""}`,
      `| --- | ---: | ${e.base ? "---: | ---: |" : ""}`,
      ...Object.entries(e.model).map(([k, v]) => {
        const ratio = k === "length_ratio";
        const f = (x: number) => (ratio ? x.toFixed(2) : pct(x));
        const b = e.base?.[k as keyof typeof METRICS];
        const change =
          b === undefined
            ? ""
            : ` ${f(b)} | ${ratio ? `${v - b >= 0 ? "+" : ""}${(v - b).toFixed(2)}` : signed(v - b)} |`;
        return `| ${metricLabel(k as keyof typeof METRICS)} | ${f(v)} |${change}`;
      }),
    );
    if (e.outcome)
      lines.push(
        "",
        `Example by example: better than the base on ${e.outcome.wins}, worse on ${e.outcome.losses}, the same on ${e.outcome.ties}.`,
      );
    if (e.parent) lines.push("", againstParent(e.parent, e.model, e.primary_metric));
  } else {
    lines.push("Not evaluated on held-out examples.");
  }
  if (e?.forgetting)
    lines.push("", ...forgettingMarkdown(e.forgetting, card.model, card.base.name));
  if (e?.bias) lines.push("", ...biasMarkdown(e.bias));
  lines.push("", "## Limitations", "", ...card.limitations.map((l) => `- ${l}`), "");
  return lines.join("\n");
}

/** How a continued model did against its parent on the same held-out examples, in one sentence. */
export function againstParent(
  p: NonNullable<EvaluationReport["parent"]>,
  model: EvaluationReport["models"][number]["metrics"],
  primary: keyof typeof METRICS,
): string {
  const f = (x: number | undefined) =>
    primary === "length_ratio" ? (x?.toFixed(2) ?? "–") : pct(x);
  return `Against ${p.model}, the model it continued from, on the same examples: ${metricLabel(primary)} ${f(model[primary])} against ${f(p.metrics[primary])}; better on ${p.outcome.wins}, worse on ${p.outcome.losses}, the same on ${p.outcome.ties} (reported only: readiness is judged against the base).`;
}

/** The parent, its data and whether it is still here, in one line. */
function parentLine(p: NonNullable<ModelCard["parent"]>): string {
  const data = p.training_data
    ? `, which was trained on ${p.training_data}${p.examples !== null ? ` (${p.examples} examples)` : ""}`
    : "";
  const gone = p.deleted
    ? " (deleted; this model holds its whole adapter and works without it)"
    : "";
  return `${p.model}${gone}${p.job_id ? `, job ${p.job_id}` : ""}${data}; training started from its adapter`;
}

function fmt(x: number | null): string {
  return x === null ? "–" : x.toFixed(3);
}

function signed(x: number): string {
  return `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)} pts`;
}

function counts(c: Record<string, number>): string {
  const e = Object.entries(c).filter(([, n]) => n > 0);
  return e.length ? e.map(([k, n]) => `${k} ${n}`).join(", ") : "none";
}

/** Writes MODEL_CARD.md and model-card.json into the model's folder (or one about to become it). */
export function writeCard(folder: string, card: ModelCard): ModelCard {
  writeJsonAtomic(join(folder, CARD_JSON), card);
  writeFileAtomic(join(folder, CARD_MARKDOWN), renderCardMarkdown(card));
  return card;
}
