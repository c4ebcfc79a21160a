/**
 * Trains Tailor's moderation model: embeds src/safety/moderation/data/train.jsonl with
 * all-MiniLM-L6-v2 through the real engine, fits one logistic probe per category with its threshold
 * (cross-validated on the training set only), writes src/safety/moderation/model/head.json, then
 * measures the new head on heldout.jsonl and ordinary.jsonl (when they exist; never used to fit or
 * to choose anything) and writes model/MODEL_CARD.md with the figures.
 *
 *   npm run train:moderation [-- --beta 0.5 | --target-precision 0.9] [--folds 5]
 *   npm run train:moderation -- --card-only     (measure the shipped head and rewrite the card)
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { parseArgs } from "node:util";
import { MODERATION_CATEGORIES, type ModerationCategory } from "../protocol/moderation.ts";
import { renderCard } from "../src/safety/moderation/card.ts";
import { DATA_DIR, readLabelled } from "../src/safety/moderation/data.ts";
import { DEFAULT_FIT, fitHead } from "../src/safety/moderation/fit.ts";
import {
  encodeWeights,
  HEAD_FILE,
  HEAD_FORMAT,
  type HeadFile,
  MODEL_CARD_FILE,
  MODERATION_MODEL,
  parseHead,
  readHead,
} from "../src/safety/moderation/head.ts";
import { evaluate, renderTables } from "../src/safety/moderation/measure.ts";
import { EngineModerator } from "../src/safety/moderation/model.ts";
import { DEFAULT_WINDOW } from "../src/safety/moderation/windows.ts";
import { InferenceEngine } from "../src/serving/index.ts";

const ROOT = join(dirname(HEAD_FILE), "../../../..");
const { values } = parseArgs({
  options: {
    /** Instead of the best F-beta: the lowest threshold whose precision is at least this. */
    "target-precision": { type: "string" },
    beta: { type: "string", default: String(DEFAULT_FIT.beta) },
    folds: { type: "string", default: String(DEFAULT_FIT.folds) },
    "card-only": { type: "boolean", default: false },
  },
});
const fit = {
  ...DEFAULT_FIT,
  targetPrecision:
    values["target-precision"] === undefined ? null : Number(values["target-precision"]),
  beta: Number(values.beta),
  folds: Number(values.folds),
  onProgress: (line: string) => console.log(`  ${line}`),
};

/** Embeds train.jsonl, fits the probes and thresholds, writes head.json. */
async function train(engine: InferenceEngine): Promise<HeadFile> {
  const trainFile = join(DATA_DIR, "train.jsonl");
  const raw = readFileSync(trainFile);
  const examples = readLabelled(trainFile);
  console.log(`${examples.length} training texts in ${relative(ROOT, trainFile)}`);

  let started = performance.now();
  const texts = examples.map((e) => e.text);
  const xs: Float64Array[] = [];
  for (let i = 0; i < texts.length; i += 256) {
    const { data } = await engine.embed(texts.slice(i, i + 256));
    xs.push(...data.map((v) => Float64Array.from(v)));
    process.stdout.write(`\r  embedded ${xs.length}/${texts.length}`);
  }
  console.log(` in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const labels = Object.fromEntries(
    MODERATION_CATEGORIES.map((c) => [
      c,
      Uint8Array.from(examples, (e) => (e.categories.has(c) ? 1 : 0)),
    ]),
  ) as Record<ModerationCategory, Uint8Array>;
  const strata = examples.map((e) => [...e.categories].sort().join("+") || "none");
  started = performance.now();
  console.log("fitting (per category: L2 by cross-validation, threshold, final probe)");
  const fitted = fitHead(xs, labels, strata, fit);
  console.log(`fitted in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const head: HeadFile = {
    format: HEAD_FORMAT,
    model: MODERATION_MODEL,
    embedding_model: "all-MiniLM-L6-v2",
    dimensions: xs[0]?.length ?? 384,
    trained_at: new Date().toISOString().slice(0, 10),
    data: {
      file: relative(ROOT, trainFile),
      sha256: createHash("sha256").update(raw).digest("hex"),
      examples: examples.length,
    },
    training: {
      method: "logistic regression per category (L-BFGS), positives weighted to balance",
      folds: fit.folds,
      seed: fit.seed,
      threshold_rule:
        fit.targetPrecision === null
          ? `best F${fit.beta} on out-of-fold scores`
          : `lowest with out-of-fold precision >= ${fit.targetPrecision}`,
      l2_grid: fit.l2Grid,
    },
    window: DEFAULT_WINDOW,
    categories: Object.fromEntries(
      MODERATION_CATEGORIES.map((c) => {
        const f = fitted[c];
        return [
          c,
          {
            weights: encodeWeights(f.weights),
            bias: f.bias,
            threshold: f.threshold,
            l2: f.l2,
            positives: f.positives,
            cv: { precision: f.cv.precision, recall: f.cv.recall },
          },
        ];
      }),
    ) as HeadFile["categories"],
  };
  writeAtomic(HEAD_FILE, `${JSON.stringify(head, null, 2)}\n`);
  // in the repository's format, so that the lint passes on the committed file
  spawnSync(join(ROOT, "node_modules/.bin/biome"), ["format", "--write", HEAD_FILE], {
    stdio: "ignore",
  });
  console.log(`wrote ${relative(ROOT, HEAD_FILE)}`);

  return head;
}

const engine = new InferenceEngine({ onLog: (l) => process.stderr.write(`[engine] ${l}\n`) });
try {
  const head = values["card-only"] ? readHead().file : await train(engine);
  // measure the head as shipped (read back), on the sets it never saw
  const optional = (name: string) => {
    const path = join(DATA_DIR, name);
    return existsSync(path) ? readLabelled(path) : null;
  };
  const moderator = new EngineModerator(engine, { head: parseHead(head) });
  await moderator.moderate(["warm up"]);
  const evaluation = await evaluate(moderator, {
    heldout: optional("heldout.jsonl"),
    ordinary: optional("ordinary.jsonl"),
  });
  console.log(renderTables(evaluation.heldout, evaluation.ordinary));
  writeAtomic(MODEL_CARD_FILE, renderCard(head, evaluation));
  console.log(`wrote ${relative(ROOT, MODEL_CARD_FILE)}`);
} finally {
  await engine.close();
}

function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}
