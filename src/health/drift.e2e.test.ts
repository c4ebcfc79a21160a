/**
 * Drift on real embeddings (the engine's all-MiniLM-L6-v2, offline): a model trained on the bike
 * shop's support questions (examples/bike-shop-tools: its training file as the training data, its
 * validation file as the held-out set, stored as dataset versions the model's manifest names). The
 * threshold comes from the held-out questions; questions from other domains (cooking, tax law) are
 * flagged as unfamiliar, new questions of the bike shop mostly are not. Then the same questions
 * recorded as kept usage make the report count them and call the model out of date.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { openServices, type Services } from "../services/index.ts";
import { InferenceEngine } from "../serving/index.ts";
import { DriftIndexes } from "./drift.ts";
import { openHealth } from "./report.ts";
import { StoredTraining } from "./training.ts";

const EXAMPLES = fileURLToPath(new URL("../../examples/bike-shop-tools/", import.meta.url));
const MODEL = "ft:tiny:bike:drift01";

/** New questions a bike shop's customers ask, in none of the example files. */
const BIKE = [
  "Do you sell inner tubes for 28 inch wheels under 10 euros?",
  "Can you fix a flat tyre on my Trek on 3 July?",
  "What time do you open on Saturday?",
  "Has order NW-12345 shipped yet?",
  "I want to book a service for my Cube e-bike, the gears skip.",
  "Is there a bike lock below 40 euros?",
  "hello!",
  "Where is your shop?",
  "Can I return a saddle I bought last week?",
  "my Specialized has a squeaky chain, can you look at it on 2025-06-20?",
  "Any helmets under 60 euros?",
  "When will my order NW-55555 arrive?",
];
const COOKING = [
  "How long should I boil an egg for a runny yolk?",
  "What can I use instead of buttermilk in pancakes?",
  "How do I keep risotto creamy without cream?",
  "At what temperature should I roast a whole chicken?",
  "Why did my bread dough not rise?",
  "How much salt goes into pasta water?",
  "Can I freeze cooked rice safely?",
  "What is the difference between baking soda and baking powder?",
  "How do I make a roux for gravy?",
  "How long do I marinate tofu?",
];
const TAX = [
  "Can I deduct my home office from my income tax?",
  "What is the capital gains tax rate on shares held over a year?",
  "Do I have to pay VAT on services sold to customers abroad?",
  "When is the deadline for filing a corporate tax return?",
  "Are gifts to my children subject to inheritance tax?",
  "How is rental income taxed for a second property?",
  "Can a freelancer deduct health insurance premiums?",
  "What happens if I file my tax return late?",
  "Is cryptocurrency taxed as income or capital gains?",
  "How do I claim a tax refund for overpaid withholding?",
];

let home: string;
let services: Services;
const engine = new InferenceEngine();
/** How many texts the engine was asked to embed. */
let embedded = 0;
const counting = {
  embed: (input: string[], opts?: { signal?: AbortSignal | undefined }) => {
    embedded += input.length;
    return engine.embed(input, opts);
  },
};

before(async () => {
  home = mkdtempSync(join(tmpdir(), "tailor-drift-"));
  services = openServices(home);
  const train = await services.datasets.add(join(EXAMPLES, "train.jsonl"), { valSplit: 0 });
  const val = await services.datasets.add(join(EXAMPLES, "val.jsonl"), { valSplit: 0 });
  const folder = services.models.modelDir(MODEL);
  mkdirSync(folder, { recursive: true });
  services.models.writeManifest(folder, {
    kind: "fine_tuned",
    name: MODEL,
    created_at: Math.floor(Date.now() / 1000),
    base: { name: "tiny", source: { kind: "hf_dir", path: join(home, "no-weights-needed") } },
    training: {
      train_file: train.version.id,
      val_file: val.version.id,
      train_examples: train.version.train_examples,
      epochs: 1,
      learning_rate: 1e-4,
      batch_size: 8,
      lora_rank: 8,
      lora_alpha: 16,
      seed: 0,
      steps: 16,
      first_train_loss: 2,
      final_train_loss: 1,
      train_seconds: 10,
    },
  });
});
after(async () => {
  services.close();
  await engine.close();
  rmSync(home, { recursive: true, force: true });
});

/** The share of `questions` whose nearest training question is farther than the threshold. */
async function flaggedShare(drift: DriftIndexes, questions: string[]): Promise<number> {
  const index = await drift.index(MODEL);
  assert.ok(index);
  const vectors = await drift.embed(questions);
  return vectors.filter((v) => index.isUnfamiliar(index.nearest(v))).length / questions.length;
}

describe("drift on real embeddings", () => {
  test("other domains are unfamiliar; the bike shop's own new and held-out questions mostly not", async () => {
    const training = new StoredTraining(services);
    const q = training.questions(MODEL);
    assert.equal(q?.train.length, 126);
    assert.equal(q?.heldOut?.length, 39);
    const drift = new DriftIndexes({ home, embedder: counting, training });
    const index = await drift.index(MODEL);
    assert.equal(index?.basis.basis, "held_out");
    assert.equal(index?.basis.calibration, 39);
    const threshold = index?.basis.threshold ?? 0;
    assert.ok(threshold > 0.05 && threshold < 0.9, `threshold ${threshold}`);
    assert.ok(existsSync(join(home, "cache", "drift", "ft_tiny_bike_drift01.json")));

    const shares = {
      cooking: await flaggedShare(drift, COOKING),
      tax: await flaggedShare(drift, TAX),
      bike_new: await flaggedShare(drift, BIKE),
      bike_held_out: await flaggedShare(drift, q?.heldOut ?? []),
    };
    console.log(`drift threshold ${threshold.toFixed(3)}; flagged shares`, shares);
    // measured: cooking 10 of 10, tax law 7 of 10 (the three about a tax return's deadline, filing
    // late and a refund sit near the shop's returns and refunds), new bike-shop questions 0 of 12,
    // held-out 2 of 39 (the 95th percentile lets about 5% through by construction)
    assert.ok(shares.cooking >= 0.8, `cooking ${shares.cooking}`);
    assert.ok(shares.tax >= 0.6, `tax law ${shares.tax}`);
    assert.ok((shares.cooking + shares.tax) / 2 >= 0.8, `other domains ${JSON.stringify(shares)}`);
    assert.ok(shares.bike_new <= 0.25, `new bike-shop questions ${shares.bike_new}`);
    assert.ok(shares.bike_held_out <= 0.1, `held-out bike-shop questions ${shares.bike_held_out}`);

    // the cache serves the next index: no training question is embedded again
    const before = embedded;
    await new DriftIndexes({ home, embedder: counting, training }).index(MODEL);
    assert.equal(embedded, before);
  });

  test("kept questions in use: the report counts the unfamiliar ones and says it looks out of date", async () => {
    const asked = [...COOKING, ...TAX, ...BIKE];
    for (const question of asked)
      services.usage.record({
        model: MODEL,
        resolvedModel: MODEL,
        channel: "chat",
        answerChars: 40,
        question,
      });
    const before = embedded;
    const report = await openHealth(services, counting).report(MODEL, { days: 7 });
    assert.equal(embedded - before, asked.length); // training vectors from the cache
    const today = report.days.at(-1);
    assert.equal(today?.drift_checked, asked.length);
    assert.ok((today?.unfamiliar ?? 0) >= 16, `unfamiliar ${today?.unfamiliar}`);
    assert.ok((today?.unfamiliar ?? 0) <= 23, `unfamiliar ${today?.unfamiliar}`);
    assert.equal(report.out_of_date, true);
    assert.match(report.summary.at(-1) ?? "", /looks out of date: \d+% of this week's questions/);
    assert.match(report.summary.join(" "), /95th percentile for the 39 held-out examples/);
  });
});
