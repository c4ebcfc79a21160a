import assert from "node:assert/strict";
import { test } from "node:test";
import { sentences, windows } from "./windows.ts";

const words = (s: string) => s.split(/\s+/).filter(Boolean);

test("a short text is one window, as it is", () => {
  assert.deepEqual(windows("  You are wonderful.  "), ["You are wonderful."]);
  assert.deepEqual(windows(""), [""]);
});

test("sentences end at . ! ? and at line breaks", () => {
  assert.deepEqual(sentences('He said "stop." Then left!\nNext line? Yes'), [
    'He said "stop."',
    "Then left!",
    "Next line?",
    "Yes",
  ]);
});

test("a long text is cut into overlapping windows of whole sentences, none too long", () => {
  const sentence = (i: number) => `This is ordinary sentence number ${i} of the report.`; // 9 words
  const text = Array.from({ length: 30 }, (_, i) => sentence(i)).join(" ");
  const ws = windows(text, { words: 60, overlap: 15 });
  assert.ok(ws.length >= 5, `${ws.length} windows`);
  for (const w of ws) assert.ok(words(w).length <= 60, w);
  // every sentence is in some window, and neighbours share a sentence
  for (let i = 0; i < 30; i++)
    assert.ok(
      ws.some((w) => w.includes(sentence(i))),
      `sentence ${i}`,
    );
  for (let k = 1; k < ws.length; k++) {
    const last = (ws[k - 1] as string).split(". ").at(-1) as string;
    assert.ok((ws[k] as string).startsWith(last.replace(/\.$/, "")), `window ${k} overlaps`);
  }
});

test("a sentence longer than a window is cut into runs of words", () => {
  const text = Array.from({ length: 150 }, (_, i) => `w${i}`).join(" ");
  const ws = windows(text, { words: 60, overlap: 15 });
  for (const w of ws) assert.ok(words(w).length <= 60);
  assert.ok(ws.some((w) => w.includes("w0 ")));
  assert.ok(ws.some((w) => w.endsWith("w149")));
});
