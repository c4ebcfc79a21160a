import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { TailorError } from "../errors/index.ts";
import { loadExamples, toChatJsonl } from "./load.ts";
import { type DataRecord, readRecords } from "./read/index.ts";

const fixture = (name: string) => fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url));

async function all(file: string): Promise<DataRecord[]> {
  const out: DataRecord[] = [];
  for await (const r of readRecords(file)) out.push(r);
  return out;
}

test("every bad line is reported with its line number, code and field", async () => {
  const problems = (await all(fixture("bad.jsonl"))).filter((r) => r.kind === "problem");
  assert.deepEqual(
    problems.map((p) => [p.line, p.code, p.field ?? null]),
    [
      [2, "not_json", null],
      [3, "unknown_role", "messages[0].role"],
      [4, "no_assistant", "messages"],
      [5, "empty_content", "completion"],
      [6, "unknown_format", null],
    ],
  );
});

test("loading for training refuses a file with bad lines and names them", async () => {
  await assert.rejects(loadExamples(fixture("bad.jsonl")), (e: unknown) => {
    assert.ok(e instanceof TailorError);
    assert.equal(e.code, "data_invalid");
    assert.match(e.message, /5 problems in .*bad\.jsonl/);
    assert.match(
      e.message,
      /bad\.jsonl:3 field messages\[0\]\.role: must be "system", "user", "assistant" or "tool"/,
    );
    return true;
  });
});

test("UTF-8 with a BOM and CRLF line ends are read, prompt/completion becomes a chat", async () => {
  const examples = await loadExamples(fixture("bom-crlf.jsonl"));
  assert.equal(examples.length, 2);
  assert.deepEqual(examples[0]?.messages, [
    { role: "user", content: "2+2?" },
    { role: "assistant", content: "4" },
  ]);
  assert.equal(examples[1]?.messages[2]?.weight, 1);
  assert.equal(toChatJsonl(examples).trim().split("\n").length, 2);
});

test("an empty file and a missing file get their own errors", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tailor-data-"));
  writeFileSync(join(dir, "empty.jsonl"), "");
  writeFileSync(join(dir, "blank.jsonl"), "\n\n");
  await assert.rejects(loadExamples(join(dir, "empty.jsonl")), /is empty/);
  await assert.rejects(loadExamples(join(dir, "blank.jsonl")), /has no examples/);
  await assert.rejects(
    loadExamples(join(dir, "nope.jsonl")),
    (e: unknown) =>
      e instanceof TailorError && e.code === "file_not_found" && /does not exist/.test(e.message),
  );
});
