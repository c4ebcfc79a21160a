import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { InferenceEngine } from "../serving/index.ts";
import { EngineNameFinder, type NameEngine, type NameKind, type NameSpan } from "./names.ts";
import { findPiiBatch } from "./pii.ts";
import { redactTexts } from "./redact.ts";

/** An engine that finds capitalised "Ana" and records what it was sent. */
class CountingEngine implements NameEngine {
  readonly sent: string[][] = [];
  async findNames(input: string[], _opts?: { kinds?: NameKind[] }): Promise<NameSpan[][]> {
    this.sent.push(input);
    return input.map((t) =>
      [...t.matchAll(/Ana/g)].map((m) => ({
        kind: "PERSON" as const,
        start: m.index,
        end: m.index + 3,
      })),
    );
  }
}

describe("EngineNameFinder", () => {
  test("sends each distinct text once, in batches, and keeps recent answers", async () => {
    const engine = new CountingEngine();
    const finder = new EngineNameFinder(engine, { batch: 2 });
    const texts = ["Ana here.", "Hi", "Ana here.", "12 34", "Ana and Ana", "Hi"];
    const found = await finder.findNames(texts);
    assert.deepEqual(
      found.map((f) => f.map((n) => n.start)),
      [[0], [], [0], [], [0, 8], []],
    );
    // duplicates once, no text without letters, at most 2 per operation
    assert.deepEqual(engine.sent, [["Ana here.", "Hi"], ["Ana and Ana"]]);
    await finder.findNames(["Hi", "Ana here."]);
    assert.equal(engine.sent.length, 2, "answered from the recent texts");
    await finder.findNames(["Ana here."], { kinds: ["PERSON", "LOCATION"] });
    assert.equal(engine.sent.length, 3, "other kinds are another question");
  });

  test("forgets the least recently used texts past its cache size", async () => {
    const engine = new CountingEngine();
    const finder = new EngineNameFinder(engine, { cacheSize: 2 });
    await finder.findNames(["a", "b"]);
    await finder.findNames(["a"]); // a is now the most recent
    await finder.findNames(["c"]); // b goes
    await finder.findNames(["a", "b"]);
    assert.deepEqual(engine.sent, [["a", "b"], ["c"], ["b"]]);
  });
});

describe("names through the real engine (spaCy's English NER)", () => {
  const engine = new InferenceEngine();
  const names = new EngineNameFinder(engine);
  after(() => engine.close());

  test("a name that starts a sentence is found: 'Ms. Okafor marks the lab reports.'", async () => {
    const text = "Ms. Okafor marks the lab reports.";
    const [found] = await findPiiBatch([text], { names });
    assert.deepEqual(
      found?.map((f) => [f.type, f.text, f.start, f.end]),
      [["PERSON", "Okafor", 4, 10]],
    );
  });

  test("offsets are JavaScript's after emoji; names beside structured kinds; redaction", async () => {
    const texts = [
      "Great news 🎉🎉 Amina Yusuf passed! Mail amina.yusuf@example.com.",
      "Thanks,\nMarta",
      "Will you send the invoice in May?",
    ];
    const found = await findPiiBatch(texts, { names });
    assert.deepEqual(
      found.map((f) => f.map((x) => [x.type, x.text])),
      [
        [
          ["PERSON", "Amina Yusuf"],
          ["EMAIL", "amina.yusuf@example.com"],
        ],
        [["PERSON", "Marta"]],
        [],
      ],
    );
    const first = found[0]?.[0];
    assert.equal(texts[0]?.slice(first?.start, first?.end), "Amina Yusuf");
    const { texts: out } = await redactTexts(["Ms. Okafor marks the lab reports.", ...texts], {
      names,
    });
    assert.deepEqual(out.slice(0, 2), [
      "Ms. [PERSON] marks the lab reports.",
      "Great news 🎉🎉 [PERSON_2] passed! Mail [EMAIL].",
    ]);
  });

  test("places and organisations when asked", async () => {
    const [found] = await findPiiBatch(["Zbigniew Kowalski works at Google in Warsaw."], {
      names,
      kinds: ["PERSON", "LOCATION", "ORGANIZATION"],
    });
    assert.deepEqual(
      found?.map((f) => [f.type, f.text]),
      [
        ["PERSON", "Zbigniew Kowalski"],
        ["ORGANIZATION", "Google"],
        ["LOCATION", "Warsaw"],
      ],
    );
  });
});
