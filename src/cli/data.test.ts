/**
 * `tailor data` end to end: real files, the real SQLite store and blob files, the real engine for
 * token counts (tiny model), and a fine-tune from a stored dataset id.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { chatLine as chat, cliSandbox } from "./__fixtures__/cli.ts";

const { home, tailor, file, tiny } = cliSandbox("tailor-data-cli-");
const good = Array.from({ length: 14 }, (_, i) =>
  chat(
    `How do I adjust gear ${i}?`,
    `Turn the barrel adjuster a quarter turn, then test gear ${i}.`,
  ),
);

describe("tailor data with the real engine and store", () => {
  before(() => tiny());

  test("check --json: one report object with errors by line and code, exit 1", () => {
    const r = tailor(
      "data",
      "check",
      file(
        "bad.jsonl",
        `${good.slice(0, 11).join("\n")}\n{"messages": [{"role": "wizard", "content": "hi"}]}\nnot json\n`,
      ),
      "--no-tokens",
      "--json",
    );
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout) as {
      ok: boolean;
      examples: number;
      errors: { line: number; code: string; message: string }[];
      warnings: unknown[];
      stats: object;
      pii: unknown[];
    };
    assert.equal(report.ok, false);
    assert.equal(report.examples, 11);
    assert.deepEqual(
      report.errors.map((e) => [e.line, e.code]),
      [
        [12, "unknown_role"],
        [13, "not_json"],
      ],
    );
    assert.ok(report.errors.every((e) => e.message.length > 0));
  });

  test("check counts tokens with the base model's tokenizer and estimates training time", () => {
    const r = tailor(
      "data",
      "check",
      file("good.jsonl", `${good.join("\n")}\n`),
      "--base",
      "tiny",
      "--json",
    );
    assert.equal(r.code, 0, r.stderr);
    const { stats } = JSON.parse(r.stdout) as {
      stats: {
        tokens: { min: number; max: number } | null;
        context_length: number;
        estimated_training_seconds: number;
      };
    };
    assert.ok(
      stats.tokens && stats.tokens.min > 20 && stats.tokens.max < 200,
      JSON.stringify(stats.tokens),
    );
    assert.equal(stats.context_length, 2048);
    assert.ok(stats.estimated_training_seconds >= 0);
    const human = tailor("data", "check", join(home, "good.jsonl"), "--base", "tiny");
    assert.match(human.stdout, /tokens per example \(tiny\)/);
    assert.match(human.stdout, /OK: ready to train/);
    // what takes the time is said on stderr as it starts, so a slow check is not a silent one
    assert.match(
      human.stderr,
      /reading .*good\.jsonl, looking for private data and harmful answers…\ncounting tokens with tiny and measuring its training speed on this machine…/,
    );
  });

  test("add --redact, list, cat, train from the dataset id, rm really deletes the bytes", () => {
    const withPii = [
      ...good,
      chat(
        "I'm Maria Gonzalez, write to maria.g@example.com",
        "Thanks, we will write to maria.g@example.com.",
      ),
    ];
    const path = file("pii.jsonl", `${withPii.join("\n")}\n`);
    const added = tailor(
      "data",
      "add",
      path,
      "--name",
      "gears",
      "--redact",
      "--val-split",
      "0.2",
      "--no-tokens",
      "--json",
    );
    assert.equal(added.code, 0, added.stderr);
    const v = JSON.parse(added.stdout) as {
      id: string;
      train_examples: number;
      val_examples: number;
      train_sha256: string;
      redaction: Record<string, number>;
    };
    assert.equal(v.train_examples + v.val_examples, 15);
    assert.equal(v.redaction.EMAIL, 2);
    assert.match(readFileSync(path, "utf8"), /maria\.g@example\.com/); // the user's file is untouched

    const list = JSON.parse(tailor("data", "list", "--json").stdout) as {
      id: string;
      name: string;
    }[];
    assert.deepEqual(
      list.map((d) => [d.id, d.name]),
      [[v.id, "gears"]],
    );
    const cat = tailor("data", "cat", v.id).stdout + tailor("data", "cat", v.id, "--val").stdout;
    assert.doesNotMatch(cat, /maria\.g@example\.com/);
    assert.match(cat, /\[EMAIL\]/);

    const trained = tailor(
      "train",
      "--base",
      "tiny",
      "--data",
      v.id,
      "--epochs",
      "1",
      "--name",
      "gears-tiny",
      "--wait",
      "--json",
    );
    assert.equal(trained.code, 0, trained.stderr);
    assert.match(trained.stdout, /"type":"completed"/);

    const blob = join(home, "blobs", "sha256", v.train_sha256.slice(0, 2), v.train_sha256.slice(2));
    assert.ok(existsSync(blob));
    assert.equal(tailor("data", "rm", v.id).code, 0);
    assert.equal(existsSync(blob), false);
    const gone = tailor("data", "show", v.id);
    assert.equal(gone.code, 3);
    assert.match(gone.stderr, /no dataset/);
  });

  test("bad input never crashes and changes nothing stored", () => {
    const before = tailor("data", "list", "--json").stdout;
    for (const [name, content, message] of [
      ["bin.jsonl", Buffer.from([0x00, 0x01, 0x02, 0xff]), /binary file/],
      ["u16.jsonl", Buffer.from([0xff, 0xfe, 0x41, 0x00]), /UTF-16/],
      ["empty.jsonl", Buffer.alloc(0), /is empty/],
      ["nohead.csv", Buffer.from("foo,bar\n1,2\n"), /header/],
    ] as const) {
      const r = tailor("data", "add", file(name, content), "--no-tokens");
      assert.equal(r.code, 4, `${name}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
    assert.equal(tailor("data", "list", "--json").stdout, before);
  });
});
