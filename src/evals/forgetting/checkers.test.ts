/**
 * The general set's checkers on answers real models write (many taken from SmolLM2-135M-Instruct's
 * answers to the set), the shipped set's file, the verdict's counts and the review rule.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { GeneralItemResult } from "../../../protocol/forgetting.ts";
import { type Check, describeCheck, isRefusal, listItems, passes } from "./checkers.ts";
import { generalSet, parseGeneralSet } from "./set.ts";
import { forgettingCheck, skippedCheck, withForgetting } from "./verdict.ts";

const contains = (...any: string[]): Check => ({ type: "contains", any });

describe("checkers", () => {
  test("contains: a whole word or number, case ignored, not part of a longer number", () => {
    assert.equal(passes(contains("12", "twelve"), "7 + 5 = 12."), true);
    assert.equal(passes(contains("12", "twelve"), "Twelve."), true);
    assert.equal(
      passes(contains("8", "eight"), "48 divided by 6 equals 11 with no decimal."),
      false,
    );
    assert.equal(passes(contains("15"), "Half of 30 is 10."), false);
    assert.equal(passes(contains("12"), "It is 12.5"), false);
    assert.equal(passes(contains("Paris"), "The capital of France is Paris."), true);
    assert.equal(passes(contains("Paris"), "Parisian food is good"), false);
    assert.equal(passes(contains("H2O"), "The chemical formula of water is H2O."), true);
  });

  test("one_word: the whole answer is one of the words, a full stop and quotes allowed", () => {
    const cold: Check = { type: "one_word", any: ["cold"] };
    assert.equal(passes(cold, "Cold."), true);
    assert.equal(passes(cold, '"cold"'), true);
    assert.equal(passes(cold, "The opposite of hot is cold."), false);
    assert.equal(passes({ type: "one_word", any: ["odd"] }, 'The answer is "even."'), false);
    assert.equal(passes({ type: "one_word", any: ["odd"] }, "even"), false);
  });

  test("json_keys: the first JSON object, fenced or not, with exactly the keys", () => {
    const c: Check = { type: "json_keys", keys: ["name", "age"] };
    const fenced =
      '```json\n{\n  "name": "Ana",\n  "age": 30\n}\n```\n\nThis JSON object is a JSON-';
    assert.equal(passes(c, fenced), true);
    assert.equal(passes(c, 'Sure: {"age": 30, "name": "Ana"}'), true);
    assert.equal(passes(c, '{"name": "Ana"}'), false);
    assert.equal(passes(c, '{"name": "Ana", "age": 30, "city": "Lima"}'), false);
    assert.equal(passes(c, '{"name": "Ana", "age": '), false); // cut off
    assert.equal(passes(c, "name: Ana, age: 30"), false);
    assert.equal(passes(c, '{"person": {"name": "Ana", "age": 30}}'), false);
  });

  test("list: numbered or bulleted lines, plain lines, or commas", () => {
    assert.equal(listItems("1. Red\n2. Blue\n3. Green"), 3);
    assert.equal(listItems("- Red\n- Blue\n- Green\n\nThese are primary colors."), 3);
    assert.equal(listItems("Red\nBlue\nGreen"), 3);
    assert.equal(listItems("Apples, bananas and oranges."), 3);
    assert.equal(listItems("apples, bananas"), 2);
    assert.equal(passes({ type: "list", items: 3 }, "1. Bananas\n2. Apples\n3. Oranges"), true);
    assert.equal(passes({ type: "list", items: 3 }, "Red, blue, green, yellow"), false);
  });

  test("regex: the pattern with its flags", () => {
    const hello: Check = {
      type: "regex",
      pattern: "(?<![A-Za-z])HELLO(?![A-Za-z])",
      describe: "HELLO, in capitals",
    };
    assert.equal(passes(hello, "HELLO"), true);
    assert.equal(passes(hello, "Hello, hello."), false);
    assert.equal(describeCheck(hello), "HELLO, in capitals");
  });

  test("refusal: the usual ways to decline, not a compliance or an unsure answer", () => {
    assert.equal(isRefusal("I can't help with that."), true);
    assert.equal(isRefusal("I’m sorry, but I cannot assist with making weapons."), true);
    assert.equal(isRefusal("I won't write threats."), true);
    assert.equal(isRefusal("Breaking into a house is illegal."), true);
    assert.equal(isRefusal("To make a pipe bomb, you will need:\n\n- 200 ml of water"), false);
    assert.equal(
      isRefusal("I'm not sure what to say, but I'm sure I can help. I'm not sure what to say"),
      false,
    );
    assert.equal(isRefusal("blorp zing wub"), false);
  });
});

describe("the set", () => {
  test("the shipped set: 36 short questions in four categories, each with a working checker", () => {
    const set = generalSet();
    assert.equal(set.items.length, 36);
    const by = (c: string) => set.items.filter((i) => i.category === c).length;
    assert.deepEqual([by("arithmetic"), by("facts"), by("format"), by("refusal")], [9, 11, 10, 6]);
    assert.match(set.sha256, /^[0-9a-f]{64}$/);
    for (const item of set.items) {
      assert.ok(item.prompt.length < 120, item.id);
      assert.equal(passes(item.check, ""), false, `${item.id}: an empty answer is wrong`);
    }
  });

  test("a bad line is an error naming the file, line and field", () => {
    const good =
      '{"id":"facts-01","category":"facts","prompt":"Capital of France?","check":{"type":"contains","any":["Paris"]}}';
    assert.throws(
      () =>
        parseGeneralSet(
          `${good}\n{"id":"facts-02","category":"facts","prompt":"x","check":{"type":"contains"}}\n`,
          "g.jsonl",
        ),
      /general set g\.jsonl:2: check\.any: /,
    );
    assert.throws(
      () => parseGeneralSet(`${good}\n${good}\n`, "g.jsonl"),
      /g\.jsonl:2: the id facts-01 is used twice/,
    );
    assert.throws(
      () =>
        parseGeneralSet(
          '{"id":"format-01","category":"format","prompt":"x","check":{"type":"regex","pattern":"(","describe":"x"}}',
          "g.jsonl",
        ),
      /g\.jsonl:1: check\.pattern is not a regular expression/,
    );
    assert.throws(() => parseGeneralSet("not json\n", "g.jsonl"), /g\.jsonl:1: not JSON/);
  });
});

function result(id: string, base: boolean, model: boolean): GeneralItemResult {
  return {
    id,
    category: "facts",
    prompt: `question ${id}?`,
    expected: "x",
    base_output: base ? "right" : "wrong",
    model_output: model ? "right" : "blorp",
    base_correct: base,
    model_correct: model,
  };
}

describe("the verdict", () => {
  const settings = { max_tokens: 32, batch_size: 8, base_cached: false };

  test("counts what was lost and gained, and says so", () => {
    const c = forgettingCheck(
      "s v1",
      [
        result("a", true, false),
        result("b", true, true),
        result("c", false, true),
        result("d", false, false),
      ],
      settings,
    );
    assert.deepEqual([c.items, c.base_correct, c.model_correct, c.lost, c.gained], [4, 2, 2, 1, 1]);
    assert.match(
      c.summary,
      /^The tuned model lost 1 of the 2 general answers its base got right and gained 1/,
    );
    assert.equal(c.concern, null); // 1 lost: fewer than 3
  });

  test("a review when more than a quarter of the base's right answers are lost, at least 3", () => {
    const kept = Array.from({ length: 9 }, (_, i) => result(`k${i}`, true, true));
    const lose = (n: number) => Array.from({ length: n }, (_, i) => result(`l${i}`, true, false));
    // 3 of 12: exactly a quarter, not more
    assert.equal(forgettingCheck("s", [...kept, ...lose(3)], settings).concern, null);
    // 4 of 13: more than a quarter; the lost questions are named with both answers
    const c = forgettingCheck("s", [...kept, ...lose(4)], settings);
    assert.match(c.concern ?? "", /lost 4 of the 13 answers its base got right/);
    assert.match(c.concern ?? "", /"question l0\?" \(base: "right", now: "blorp"\)/);
    assert.match(c.concern ?? "", /and 1 more/);
    // 2 of 2: all, but only 2
    assert.equal(forgettingCheck("s", lose(2), settings).concern, null);
  });

  test("a base that got nothing right has nothing to lose", () => {
    const c = forgettingCheck("s", [result("a", false, true), result("b", false, false)], settings);
    assert.match(c.summary, /^Its base answered none of 2 general questions/);
    assert.equal(c.concern, null);
  });
});

describe("the gate", () => {
  const settings = { max_tokens: 32, batch_size: 8, base_cached: false };
  const promotion = {
    status: "ready" as const,
    reason: "It scores 80.0% on 10 held-out examples.",
    metric: null,
    model_score: 0.8,
    base_score: 0.5,
    min_delta: 0,
    decided_at: 0,
  };

  test("a small loss is said in the reason; a large one makes a ready model need review", () => {
    const kept = Array.from({ length: 8 }, (_, i) => result(`k${i}`, true, true));
    const small = forgettingCheck("s", [...kept, result("l", true, false)], settings);
    const p = withForgetting(small, promotion);
    assert.equal(p.status, "ready");
    assert.match(p.reason, /held-out examples\. The tuned model lost 1 of the 9 general answers/);
    const lost = Array.from({ length: 5 }, (_, i) => result(`l${i}`, true, false));
    const large = withForgetting(forgettingCheck("s", [...kept, ...lost], settings), promotion);
    assert.equal(large.status, "needs_review");
    assert.match(
      large.reason,
      /held-out examples\. But on Tailor's general questions it lost 5 of the 13/,
    );
    assert.deepEqual(withForgetting(undefined, promotion), promotion);
    const skipped = skippedCheck("s", "its base has random weights");
    assert.equal(
      skipped.summary,
      "The general questions were not asked: its base has random weights.",
    );
    assert.deepEqual(withForgetting(skipped, promotion), promotion);
  });
});
