import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { TailorError } from "../errors/index.ts";
import { readExamples, toChatJsonl } from "./jsonl.ts";

const fixture = (name: string) => fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url));

function problemsOf(file: string): { line: number; field?: string; message: string }[] {
  try {
    readExamples(file);
  } catch (e) {
    assert.ok(e instanceof TailorError);
    assert.equal(e.code, "data_invalid");
    return e.details.problems as { line: number; field?: string; message: string }[];
  }
  assert.fail("expected the file to be rejected");
}

test("every bad line is reported with its line number and field", () => {
  const problems = problemsOf(fixture("bad.jsonl"));
  assert.deepEqual(
    problems.map((p) => [p.line, p.field ?? null]),
    [
      [2, null],
      [3, "messages[0].role"],
      [4, "messages"],
      [5, "completion"],
      [6, null],
    ],
  );
  assert.match(problems[0]?.message ?? "", /not valid JSON/);
  assert.match(problems[2]?.message ?? "", /no assistant message/);
  assert.match(problems[4]?.message ?? "", /neither a chat example/);
});

test("UTF-8 with a BOM and CRLF line ends are read, prompt/completion becomes a chat", () => {
  const examples = readExamples(fixture("bom-crlf.jsonl"));
  assert.equal(examples.length, 2);
  assert.deepEqual(examples[0]?.messages, [
    { role: "user", content: "2+2?" },
    { role: "assistant", content: "4" },
  ]);
  assert.equal(examples[1]?.messages[2]?.weight, 1);
  assert.equal(toChatJsonl(examples).trim().split("\n").length, 2);
});

test("an empty file and a missing file get their own errors", () => {
  const dir = mkdtempSync(join(tmpdir(), "tailor-data-"));
  writeFileSync(join(dir, "empty.jsonl"), "\n\n");
  assert.throws(() => readExamples(join(dir, "empty.jsonl")), /has no examples/);
  assert.throws(
    () => readExamples(join(dir, "nope.jsonl")),
    (e: unknown) =>
      e instanceof TailorError && e.code === "file_not_found" && /does not exist/.test(e.message),
  );
});
