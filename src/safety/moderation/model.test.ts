/**
 * EngineModerator without an engine: a stand-in embedder (a word's presence is an axis) and a head
 * made here, to test windows, the highest window, parents, thresholds and batching.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { MODERATION_CATEGORIES, type ModerationCategory } from "../../../protocol/moderation.ts";
import { TailorError } from "../../errors/index.ts";
import { encodeWeights, HEAD_FORMAT, type HeadFile, parseHead } from "./head.ts";
import { EngineModerator } from "./model.ts";

const AXES = ["punch", "blood", "stupid"];
/** violence reads "punch", violence/graphic "blood", harassment "stupid" (flagged where the word is at least a tenth of the words). */
const WEIGHTS: Partial<Record<ModerationCategory, number[]>> = {
  violence: [8, 0, 0],
  "violence/graphic": [0, 8, 0],
  harassment: [0, 0, 8],
};

function headFile(threshold = 0.5): HeadFile {
  const categories = Object.fromEntries(
    MODERATION_CATEGORIES.map((c) => [
      c,
      {
        weights: encodeWeights(WEIGHTS[c] ?? [0, 0, 0]),
        bias: -4,
        threshold,
        positives: 1,
        cv: { precision: 1, recall: 1 },
      },
    ]),
  ) as HeadFile["categories"];
  return {
    format: HEAD_FORMAT,
    model: "tailor-moderation",
    embedding_model: "stand-in",
    dimensions: 3,
    trained_at: "2025-01-01",
    data: { file: "x", sha256: "0", examples: 1 },
    training: {},
    window: { words: 10, overlap: 3 },
    categories,
  };
}

class Embedder {
  calls: string[][] = [];
  async embed(input: string[]) {
    this.calls.push(input);
    await new Promise((r) => setTimeout(r, 5));
    // like a sentence embedding, a word's weight is diluted by the words around it
    const vector = (t: string) => {
      const words = t.toLowerCase().split(/\W+/).filter(Boolean);
      return AXES.map(
        (a) => (10 * words.filter((w) => w === a).length) / Math.max(words.length, 1),
      );
    };
    return { data: input.map(vector) };
  }
}

test("each text's categories are scored, a parent at least its subcategories, in order", async () => {
  const m = new EngineModerator(new Embedder(), { head: parseHead(headFile()) });
  const [plain, punch, blood] = await m.moderate([
    "hello there",
    "I will punch you",
    "there was blood everywhere",
  ]);
  assert.equal(plain?.flagged, false);
  assert.equal(punch?.flagged, true);
  assert.equal(punch?.categories.violence, true);
  assert.equal(punch?.categories["violence/graphic"], false);
  assert.equal(blood?.categories["violence/graphic"], true);
  assert.equal(blood?.categories.violence, true, "the parent takes its subcategory's score");
  assert.equal(blood?.category_scores.violence, blood?.category_scores["violence/graphic"]);
});

test("a long text takes each category's highest window", async () => {
  const filler = "We met on Monday to plan the week and review the budget.";
  const text = `${filler} ${filler} ${filler} You are stupid. ${filler} ${filler}`;
  const embedder = new Embedder();
  const m = new EngineModerator(embedder, { head: parseHead(headFile()) });
  const [r] = await m.moderate([text]);
  assert.ok((embedder.calls[0]?.length ?? 0) > 2, "scored in several windows");
  assert.equal(r?.categories.harassment, true, "the window with the insult is flagged");
  const [whole] = await new EngineModerator(embedder, {
    head: parseHead({ ...headFile(), window: { words: 1000, overlap: 0 } }),
  }).moderate([text]);
  assert.equal(whole?.flagged, false, "read whole, the insult is drowned by the ordinary text");
});

test("scores are shifted so that 0.5 is the head's threshold; a caller's threshold overrides it", async () => {
  // one "punch" in 20 words: log-odds 0, probability 0.5, under the head's threshold 0.9
  const text = `punch ${"word ".repeat(19)}`;
  const head = parseHead({ ...headFile(0.9), window: { words: 1000, overlap: 0 } });
  const m = new EngineModerator(new Embedder(), { head });
  const [r] = await m.moderate([text]);
  assert.equal(r?.flagged, false);
  assert.ok(Math.abs((r?.category_scores.violence ?? 0) - 0.1) < 1e-3, "sigmoid(0 - logit(0.9))");
  const [loose] = await m.moderate([text], { threshold: 0.05 });
  assert.equal(loose?.categories.violence, true);
  const [ownHalf] = await new EngineModerator(new Embedder(), {
    head: parseHead({ ...headFile(0.4), window: { words: 1000, overlap: 0 } }),
  }).moderate([text]);
  assert.equal(ownHalf?.categories.violence, true, "0.5 is above a threshold of 0.4");
});

test("requests that arrive while the engine is busy go to it together, each getting its own", async () => {
  const embedder = new Embedder();
  const m = new EngineModerator(embedder, { head: parseHead(headFile()) });
  const texts = ["punch", "hello", "blood", "stupid", "fine"];
  const out = await Promise.all(texts.map((t) => m.moderate([t])));
  assert.deepEqual(
    out.map((r) => r[0]?.flagged),
    [true, false, true, true, false],
  );
  assert.equal(embedder.calls.length, 2, "the first alone, the four that waited together");
  assert.deepEqual(embedder.calls[1], ["hello", "blood", "stupid", "fine"]);
});

test("a cancelled request is refused; the others are answered", async () => {
  const m = new EngineModerator(new Embedder(), { head: parseHead(headFile()) });
  const first = m.moderate(["punch"]);
  const stop = new AbortController();
  const second = m.moderate(["blood"], { signal: stop.signal });
  stop.abort();
  await assert.rejects(second, (e) => e instanceof TailorError && e.code === "cancelled");
  assert.equal((await first)[0]?.flagged, true);
});

test("a damaged head file says what is wrong and how to fix it", () => {
  const bad = { ...headFile(), dimensions: 4 };
  assert.throws(
    () => parseHead(bad, "head.json"),
    (e) =>
      e instanceof TailorError && e.code === "model_corrupt" && /train:moderation/.test(e.message),
  );
  assert.throws(
    () => parseHead({ format: "other" }, "head.json"),
    (e) => e instanceof TailorError && /head\.json: format/.test(e.message),
  );
});
