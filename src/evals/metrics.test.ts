import assert from "node:assert/strict";
import { test } from "node:test";
import {
  classify,
  exactMatch,
  jsonFields,
  lengthRatio,
  outputKind,
  rougeL,
  tokenF1,
  words,
} from "./metrics.ts";

const close = (actual: number, expected: number) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} != ${expected}`);

test("exact match ignores whitespace and Unicode composition, not case or words", () => {
  assert.equal(exactMatch("  Café  au lait\n", "Cafe\u0301 au lait"), 1); // é composed vs combining accent
  assert.equal(exactMatch("Paris", "paris"), 0);
  assert.equal(exactMatch("", ""), 1);
  assert.equal(exactMatch("", "x"), 0);
});

test("words are Unicode-aware: accents, digits, and one word per CJK character", () => {
  assert.deepEqual(words("Ça coûte 12,50 €!"), ["ça", "coûte", "12", "50"]);
  assert.deepEqual(words("東京に行く"), ["東", "京", "に", "行", "く"]);
  assert.deepEqual(words("   "), []);
});

test("token F1 counts shared words, repeated words only as often as expected", () => {
  close(tokenF1("the cat sat", "the cat sat on the mat"), (2 * 1 * 0.5) / 1.5);
  close(tokenF1("the the the", "the cat"), (2 * (1 / 3) * 0.5) / (1 / 3 + 0.5));
  close(tokenF1("東京", "東京都"), 0.8);
  assert.equal(tokenF1("", ""), 1);
  assert.equal(tokenF1("", "something"), 0);
  assert.equal(tokenF1("dog", "cat"), 0);
});

test("ROUGE-L comes from js-rouge: order matters where token F1 does not", () => {
  close(rougeL("police kill the gunman", "police killed the gunman"), 0.75);
  assert.equal(tokenF1("gunman the killed police", "police killed the gunman"), 1);
  assert.ok(rougeL("gunman the killed police", "police killed the gunman") < 1);
  assert.equal(rougeL("Über alles", "über ALLES"), 1);
  assert.equal(rougeL("", ""), 1);
  assert.equal(rougeL("", "not empty"), 0);
});

test("length ratio in words", () => {
  assert.equal(lengthRatio("one two", "one two three four"), 0.5);
  assert.equal(lengthRatio("", ""), 0);
});

test("JSON answers: valid or not, and each expected field exactly right or not", () => {
  const want = '{"intent": "refund", "order_id": "NW-1", "urgency": "high"}';
  assert.deepEqual(jsonFields('{"intent":"refund","order_id":"NW-1","urgency":"low"}', want), {
    valid: true,
    fields: 3,
    correct: 2,
  });
  assert.deepEqual(jsonFields("Sure! Here is the JSON: {", want), {
    valid: false,
    fields: 3,
    correct: 0,
  });
  assert.deepEqual(jsonFields("[1, 2]", want), { valid: false, fields: 3, correct: 0 });
  assert.equal(jsonFields("{}", "plain text"), null);
});

test("labels: accuracy, macro-F1 and the confusion table", () => {
  const c = classify(["spam", "ham", "spam", "ham"], ["spam", "spam", "spam", "ham"]);
  assert.equal(c.accuracy, 0.75);
  assert.deepEqual(c.labels, ["ham", "spam"]);
  assert.deepEqual(c.confusion, [
    [1, 0],
    [1, 2],
  ]);
  close(c.macroF1, (2 / 3 + 0.8) / 2); // ham: 2*1/(2+1); spam: 2*2/(2+3)
  assert.equal(classify([], []).accuracy, 0);
});

test("the kind of output is told from the expected answers", () => {
  assert.equal(outputKind(['{"a": 1}', '{"a": 2}']), "json");
  assert.equal(outputKind(["positive", "negative", "positive", "negative", "positive"]), "label");
  assert.equal(outputKind(["The shop opens at nine.", "We fix tandems too.", "Yes."]), "text");
  assert.equal(outputKind(["", "x"]), "text");
});
