import assert from "node:assert/strict";
import { test } from "node:test";
import { cutAtStop, safeEnd } from "./decode.ts";

test("a stop string cuts the text where the first one begins", () => {
  assert.equal(cutAtStop("Hello world. Bye.", ["Bye", "."]), 11);
  assert.equal(cutAtStop("Hello", ["x"]), null);
});

test("streaming holds back a possible start of a stop string, half a character, and (under a grammar) trailing space", () => {
  assert.equal(safeEnd("Hello wor", ["world"]), 6);
  assert.equal(safeEnd("Hello", ["world"]), 5);
  assert.equal(safeEnd("caf\ufffd", []), 3);
  assert.equal(safeEnd('{"a": 1}\n  ', [], true), 8);
});
