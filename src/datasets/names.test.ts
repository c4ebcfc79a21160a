/**
 * Names in the data check and in redaction: the real engine's named-entity model through checkData,
 * DatasetStore (redacted versions) and `tailor data check`; the batching's order with a stand-in.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { cliSandbox } from "../cli/__fixtures__/cli.ts";
import { ListNameFinder } from "../safety/__fixtures__/list-names.ts";
import { EngineNameFinder } from "../safety/index.ts";
import { InferenceEngine } from "../serving/index.ts";
import { openDb } from "../store/index.ts";
import { checkData } from "./check.ts";
import { PiiCheck } from "./pii-check.ts";
import type { Example } from "./read/index.ts";
import { DatasetStore } from "./store.ts";

const line = (user: string, answer: string) =>
  JSON.stringify({
    messages: [
      { role: "user", content: user },
      { role: "assistant", content: answer },
    ],
  });

/** 12 school examples; line 3's answer starts a sentence with a name, line 5's greets one. */
const SCHOOL = [
  line("Who marks the lab reports?", "Your teacher marks them within a week."),
  line("When is the lab report due?", "Lab reports are due on Friday at noon."),
  line("Who marks the lab reports this term?", "Ms. Okafor marks the lab reports."),
  line("Can I hand it in late?", "Ask your teacher before the deadline."),
  line("hi, is my report in?", "Hi Chidi, yes, it arrived on Tuesday."),
  ...Array.from({ length: 7 }, (_, i) =>
    line(`What goes in section ${i + 1}?`, `Section ${i + 1} holds your results.`),
  ),
];

describe("names through the real engine", () => {
  const dir = mkdtempSync(join(tmpdir(), "tailor-names-"));
  const file = join(dir, "school.jsonl");
  writeFileSync(file, `${SCHOOL.join("\n")}\n`);
  const engine = new InferenceEngine();
  const names = new EngineNameFinder(engine);
  after(() => engine.close());

  test("the data check reports a name that starts a sentence, with its line and field", async () => {
    const report = await checkData(file, { names });
    assert.deepEqual(
      report.pii.map((p) => [p.line, p.field, p.type, p.preview]),
      [
        [3, "messages[1].content", "PERSON", "Okafor"],
        [5, "messages[1].content", "PERSON", "Chidi"],
      ],
    );
    assert.deepEqual(report.pii_counts, { PERSON: 2 });
  });

  test("a redacted version replaces the names; the user's file is untouched", async () => {
    const home = mkdtempSync(join(tmpdir(), "tailor-names-store-"));
    const store = new DatasetStore(openDb(home), home, names);
    const { version } = await store.add(file, { redact: true });
    assert.deepEqual(version.redaction, { PERSON: 2 });
    const stored = readFileSync(store.files(version.id).train, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Example);
    assert.equal(stored[2]?.messages[1]?.content, "Ms. [PERSON] marks the lab reports.");
    assert.equal(stored[4]?.messages[1]?.content, "Hi [PERSON], yes, it arrived on Tuesday.");
    assert.match(readFileSync(file, "utf8"), /Ms\. Okafor/);
  });

  test("tailor data check finds it too (the CLI gives the engine's name finder)", () => {
    const { tailor, file: put } = cliSandbox("tailor-names-cli-");
    const r = tailor(
      "data",
      "check",
      put("school.jsonl", `${SCHOOL.join("\n")}\n`),
      "--no-tokens",
      "--json",
    );
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as {
      pii: { line: number; type: string; preview: string }[];
    };
    assert.deepEqual(
      report.pii.map((p) => [p.line, p.type, p.preview]),
      [
        [3, "PERSON", "Okafor"],
        [5, "PERSON", "Chidi"],
      ],
    );
  });
});

test("batches: findings and what follows each example keep the file's order", async () => {
  const names = new ListNameFinder(["Ana", "Ben"]);
  const check = new PiiCheck(names, { batch: 2, maxIssues: 100 });
  const seen: number[] = [];
  const texts = ["Ana wrote.", "No one.", "Ben and Ana.", "mail ana@example.com", "Ben."];
  for (const [i, text] of texts.entries()) {
    const example: Example = { messages: [{ role: "user", content: text }] };
    await check.add(example, i + 1, "f.jsonl", async () => {
      await new Promise((r) => setTimeout(r, 5 - i)); // later examples finish sooner
      seen.push(i + 1);
    });
  }
  await check.flush();
  assert.deepEqual(seen, [1, 2, 3, 4, 5]);
  assert.deepEqual(
    check.issues.map((p) => [p.line, p.type]),
    [
      [1, "PERSON"],
      [3, "PERSON"],
      [3, "PERSON"],
      [4, "EMAIL"],
      [5, "PERSON"],
    ],
  );
  assert.equal(names.calls.length, 3, "one call per batch of 2");
});
