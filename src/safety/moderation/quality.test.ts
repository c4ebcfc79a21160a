/**
 * The shipped moderation model still measures what its card says: the real engine embeds
 * data/heldout.jsonl (texts the model never saw), the shipped head.json scores them, and each
 * group's precision and recall must match the card's table within a margin (two texts of a group,
 * for differences in floating point between machines) and stay above floors stated here, so that a
 * bad retrain (or a card that was not rewritten with it) fails CI. Also: the head was trained on the
 * train.jsonl that is committed (its sha256), so a changed training set is retrained.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { MODERATION_GROUPS } from "../../../protocol/moderation.ts";
import { InferenceEngine } from "../../serving/index.ts";
import { DATA_DIR, readLabelled } from "./data.ts";
import { MODEL_CARD_FILE, readHead } from "./head.ts";
import { measureHeldout } from "./measure.ts";
import { EngineModerator } from "./model.ts";

/** Below these the model is not fit to ship, whatever its card says. */
const FLOORS = {
  groupRecall: 0.5,
  groupPrecision: 0.75,
  anyRecall: 0.7,
  anyPrecision: 0.85,
};
/** Card against measurement: two texts of a group of about 36. */
const MARGIN = 0.06;

const engine = new InferenceEngine();
after(() => engine.close());

/** The card's held-out table: group -> [precision, recall]. */
function cardFigures(): Map<string, [number, number]> {
  const card = readFileSync(MODEL_CARD_FILE, "utf8");
  const out = new Map<string, [number, number]>();
  const heldout = card.slice(card.indexOf("Held-out set:"), card.indexOf("Ordinary texts flagged"));
  for (const m of heldout.matchAll(
    /^\| (\*\*any\*\*|[a-z-]+) \| \d+ \| \d+ \| ([\d.]+)% \| ([\d.]+)% \|$/gm,
  )) {
    out.set((m[1] as string).replaceAll("*", ""), [Number(m[2]) / 100, Number(m[3]) / 100]);
  }
  return out;
}

test("the head was trained on the committed train.jsonl", () => {
  const sha = createHash("sha256")
    .update(readFileSync(join(DATA_DIR, "train.jsonl")))
    .digest("hex");
  assert.equal(
    readHead().file.data.sha256,
    sha,
    "train.jsonl changed since head.json was trained: run npm run train:moderation and commit head.json and MODEL_CARD.md",
  );
});

test("on held-out texts it measures what its card says, above the floors", async () => {
  const texts = readLabelled(join(DATA_DIR, "heldout.jsonl"));
  const results = await new EngineModerator(engine).moderate(texts.map((t) => t.text));
  const m = measureHeldout(texts, results);
  const card = cardFigures();
  assert.equal(card.size, MODERATION_GROUPS.length + 1, "the card has the held-out table");
  const rows: [string, { precision: number; recall: number }][] = [
    ...MODERATION_GROUPS.map((g) => [g, m.groups[g]] as [string, typeof m.overall]),
    ["any", m.overall],
  ];
  for (const [name, f] of rows) {
    const [precision, recall] = card.get(name) ?? [Number.NaN, Number.NaN];
    const said = `${name}: measured precision ${f.precision.toFixed(3)} recall ${f.recall.toFixed(3)}, card ${precision} ${recall}`;
    assert.ok(Math.abs(f.precision - precision) <= MARGIN, said);
    assert.ok(Math.abs(f.recall - recall) <= MARGIN, said);
    const floors =
      name === "any"
        ? [FLOORS.anyPrecision, FLOORS.anyRecall]
        : [FLOORS.groupPrecision, FLOORS.groupRecall];
    assert.ok(f.precision >= (floors[0] as number), `${said}: precision under the floor`);
    assert.ok(f.recall >= (floors[1] as number), `${said}: recall under the floor`);
  }
});
