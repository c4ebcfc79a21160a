import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { TailorError } from "../../errors/index.ts";
import { type DataRecord, readRecords } from "./index.ts";

const dir = mkdtempSync(join(tmpdir(), "tailor-read-"));
let n = 0;
function file(ext: string, content: string | Buffer): string {
  const path = join(dir, `f${n++}.${ext}`);
  writeFileSync(path, content);
  return path;
}
async function all(path: string, columns?: string): Promise<DataRecord[]> {
  const out: DataRecord[] = [];
  for await (const r of readRecords(path, { columns })) out.push(r);
  return out;
}
const chat = (u: string, a: string) =>
  JSON.stringify({
    messages: [
      { role: "user", content: u },
      { role: "assistant", content: a },
    ],
  });

test("CSV: header columns detected, quoted fields with commas, quotes and line breaks", async () => {
  const recs = await all(
    file(
      "csv",
      'id,Question,Answer\n1,"What is ""Tailor""?","A tool,\nthat fine-tunes"\n2,Why?,Because\n',
    ),
  );
  assert.deepEqual(
    recs.map((r) =>
      r.kind === "example" ? [r.line, r.example.messages.map((m) => m.content)] : r,
    ),
    [
      [2, ['What is "Tailor"?', "A tool,\nthat fine-tunes"]],
      [4, ["Why?", "Because"]],
    ],
  );
});

test("TSV with input/output and a system column; --columns picks other names", async () => {
  const recs = await all(file("tsv", "system\tinput\toutput\nBe kind.\thi\tthere\n"));
  assert.deepEqual(recs[0]?.kind === "example" && recs[0].example.messages.map((m) => m.role), [
    "system",
    "user",
    "assistant",
  ]);
  const picked = await all(file("csv", "q,a\nhi,ho\n"), "q,a");
  assert.equal(picked.length, 1);
  await assert.rejects(
    all(file("csv", "q,a\nhi,ho\n"), "x,y"),
    /--columns x,y: .* has the columns "q", "a"/,
  );
});

test("CSV without a recognisable header, and with a broken quote, fail with what to do", async () => {
  await assert.rejects(
    all(file("csv", "hello,world\nfoo,bar\n")),
    /first row must be a header.*--columns/s,
  );
  await assert.rejects(
    all(file("csv", 'prompt,completion\n"open,x\n')),
    /line 2: Quote Not Closed.*double quotes/s,
  );
});

test("CSV rows with an empty answer or missing columns are problems with their line", async () => {
  const recs = await all(file("csv", "prompt,completion\nhi,\nonly\nok,fine\n"));
  assert.deepEqual(
    recs.map((r) => (r.kind === "problem" ? [r.line, r.code, r.field] : [r.line, "ok"])),
    [
      [2, "empty_content", "completion"],
      [3, "missing_field", "completion"],
      [4, "ok"],
    ],
  );
});

test("a row with more columns than the header (a text with commas not in quotes) is a problem, not a silent label", async () => {
  const recs = await all(
    file("csv", 'text,label\n"late, again",customer\nlate, again,customer\nok,spam,\n'),
  );
  assert.deepEqual(
    recs.map((r) => (r.kind === "problem" ? [r.line, r.code, r.field] : [r.line, "ok"])),
    [
      [2, "ok"],
      [3, "wrong_type", "column 3"],
      [4, "ok"], // an empty trailing cell is no extra column
    ],
  );
  const bad = recs[1];
  assert.ok(bad?.kind === "problem" && /double quotes/.test(bad.message));
  const pairs = await all(file("csv", "prompt,completion\nhi, there,hello\n"));
  assert.equal(pairs[0]?.kind === "problem" && pairs[0].code, "wrong_type");
});

test("encodings: UTF-16 and binary files are refused, a bad UTF-8 line is reported alone", async () => {
  await assert.rejects(
    all(file("jsonl", Buffer.from([0xff, 0xfe, 0x7b, 0x00]))),
    /UTF-16 encoded; save it as UTF-8/,
  );
  await assert.rejects(all(file("jsonl", Buffer.from([0x7b, 0x00, 0x01, 0x02]))), /binary file/);
  const bad = Buffer.concat([
    Buffer.from(`${chat("a", "b")}\n{"prompt": "h`),
    Buffer.from([0xc3, 0x28]),
    Buffer.from(`", "completion": "x"}\n${chat("c", "d")}\n`),
  ]);
  const recs = await all(file("jsonl", bad));
  assert.deepEqual(
    recs.map((r) => [r.line, r.kind === "problem" ? r.code : "ok"]),
    [
      [1, "ok"],
      [2, "invalid_utf8"],
      [3, "ok"],
    ],
  );
});

test("deeply nested JSON and a huge line are problems, not crashes", async () => {
  const deep = `${"[".repeat(200_000)}${"]".repeat(200_000)}`;
  const recs = await all(file("jsonl", `${deep}\n${chat("a", "b")}\n`));
  assert.equal(recs[0]?.kind, "problem");
  assert.equal(recs[1]?.kind, "example");

  // a 20 MB line (over the 8 MB limit) between two good ones, written in pieces
  const path = join(dir, "huge.jsonl");
  const fd = openSync(path, "w");
  writeSync(fd, `${chat("a", "b")}\n{"prompt": "`);
  const block = "x".repeat(1 << 20);
  for (let i = 0; i < 20; i++) writeSync(fd, block);
  writeSync(fd, `", "completion": "y"}\n${chat("c", "d")}\n`);
  closeSync(fd);
  const big = await all(path);
  assert.deepEqual(
    big.map((r) => [r.line, r.kind === "problem" ? r.code : "ok"]),
    [
      [1, "ok"],
      [2, "line_too_long"],
      [3, "ok"],
    ],
  );
});

test("an empty file, a folder and a missing file", async () => {
  await assert.rejects(all(file("jsonl", "")), /is empty/);
  await assert.rejects(
    all(dir),
    (e: unknown) => e instanceof TailorError && /is a folder/.test(e.message),
  );
  await assert.rejects(
    all(join(dir, "missing.jsonl")),
    (e: unknown) => e instanceof TailorError && e.code === "file_not_found",
  );
});

// Property: whatever lines a file holds, the reader yields exactly one record per non-blank line, in
// order, each good line as an example and each bad line as a problem, and never throws.
const goodLine = fc
  .tuple(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }))
  .filter(([u, a]) => u.trim() !== "" && a.trim() !== "")
  .map(([u, a]) => ({ good: true, text: chat(u, a) }));
const badLine = fc
  .oneof(
    fc.string(),
    fc.json(),
    fc.constantFrom(
      '{"messages": []}',
      '{"messages": [{"role": "bot", "content": "x"}]}',
      '{"prompt": 1, "completion": "x"}',
      "[1,2]",
      "null",
      '{"messages": [{"role": "user", "content": "only a question"}]}',
    ),
  )
  .filter((s) => s.trim() !== "" && !s.includes("\n") && !s.includes("\r"))
  .filter((s) => {
    try {
      const v = JSON.parse(s) as { messages?: unknown; prompt?: unknown };
      return !(
        v &&
        typeof v === "object" &&
        ("messages" in v || "prompt" in v) &&
        JSON.stringify(v).includes("assistant")
      );
    } catch {
      return true;
    }
  })
  .map((text) => ({ good: false, text }));

test("property: every bad line is reported, every good line read, nothing throws", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.oneof(goodLine, badLine), { minLength: 1, maxLength: 30 }),
      fc.boolean(),
      async (lines, crlf) => {
        const path = file("jsonl", lines.map((l) => l.text).join(crlf ? "\r\n" : "\n"));
        const recs = await all(path);
        assert.equal(recs.length, lines.length);
        recs.forEach((r, i) => {
          assert.equal(r.line, i + 1);
          assert.equal(
            r.kind,
            lines[i]?.good ? "example" : "problem",
            `line ${i + 1}: ${lines[i]?.text}`,
          );
          if (r.kind === "problem") assert.ok(r.message.length > 0);
        });
      },
    ),
    { numRuns: 150 },
  );
});
