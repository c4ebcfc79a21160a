import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_FILENAME, safeFilename } from "./filename.ts";

test("paths keep their last segment only, from either separator", () => {
  assert.equal(safeFilename("../../etc/passwd"), "passwd");
  assert.equal(safeFilename("a/b"), "b");
  assert.equal(safeFilename("C:\\Users\\ana\\support.csv"), "support.csv");
  assert.equal(safeFilename("/abs/path/x.jsonl"), "x.jsonl");
  assert.equal(safeFilename("..\\..\\win.ini"), "win.ini");
});

test("dots, emptiness and control characters", () => {
  for (const name of [".", "..", "", "   ", "../", "a/..", "\0", "\u202e"])
    assert.equal(safeFilename(name), "upload.jsonl", JSON.stringify(name));
  assert.equal(safeFilename(".hidden.jsonl"), "hidden.jsonl");
  assert.equal(safeFilename("data.jsonl\0.png"), "data.jsonl.png");
  assert.equal(safeFilename("evil\u202egpj.jsonl"), "evilgpj.jsonl", "no right-to-left override");
  assert.equal(safeFilename("a\r\nb\t c.csv"), "ab c.csv");
  assert.equal(safeFilename("trailing.jsonl. . "), "trailing.jsonl");
});

test("unicode is kept, in NFC; a lone surrogate becomes U+FFFD", () => {
  assert.equal(safeFilename("re\u0301sume\u0301 例え.jsonl"), "résumé 例え.jsonl");
  assert.equal(safeFilename("x\ud800y.csv"), "x\ufffdy.csv");
});

test("long names are cut to MAX_FILENAME code points, keeping the extension", () => {
  const long = `${"a".repeat(5000)}.csv`;
  const cut = safeFilename(long);
  assert.equal(cut.length, MAX_FILENAME);
  assert.ok(cut.endsWith("a.csv"));
  const emoji = safeFilename(`${"😀".repeat(300)}.jsonl`);
  assert.equal([...emoji].length, MAX_FILENAME);
  assert.ok(
    emoji.endsWith("😀.jsonl") && Buffer.from(emoji).toString() === emoji,
    "no half surrogate pair",
  );
  assert.equal([...safeFilename("b".repeat(300))].length, MAX_FILENAME);
});
