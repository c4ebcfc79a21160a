/** `tailor kb` and `tailor chat --kb` as a user runs them: each command its own process, the real engine. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { makePdf } from "../knowledge/__fixtures__/documents.ts";
import { cliSandbox } from "./__fixtures__/cli.ts";

const { tailor, file, tiny } = cliSandbox("tailor-kb-cli-", { HF_HUB_OFFLINE: "1" });

test("kb create, add (one file broken), search, chat with sources", () => {
  tiny();
  const made = tailor("kb", "create", "handbook", "--json");
  assert.equal(made.code, 0, made.stderr);
  assert.equal(JSON.parse(made.stdout).name, "handbook");
  assert.equal(tailor("kb", "create", "handbook").code, 12, "the name is taken");

  const leave = file(
    "leave.pdf",
    makePdf([["Staff handbook."], ["Every employee gets 25 days of paid annual leave per year."]]),
  );
  const faq = file(
    "faq.md",
    "# Bikes\n\nStaff get a 30% discount on bikes.\n\n# Parking\n\nBikes are parked in the basement.",
  );
  const broken = file("broken.pdf", "%PDF-1.4 this is not a PDF");
  const added = tailor("kb", "add", "handbook", leave, broken, faq, "--json");
  assert.equal(added.code, 4, "some file failed");
  const lines = added.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((l) => [l.filename, l.outcome]),
    [
      ["leave.pdf", "added"],
      ["broken.pdf", "failed"],
      ["faq.md", "added"],
    ],
  );
  assert.match(lines[1].error.message, /broken\.pdf: not a readable PDF/);

  const again = tailor("kb", "add", "handbook", leave);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /leave\.pdf: already there, unchanged/);

  const found = tailor("kb", "search", "handbook", "how many days of leave", "--json");
  assert.equal(found.code, 0, found.stderr);
  const top = JSON.parse(found.stdout).data[0];
  assert.equal(top.filename, "leave.pdf");
  assert.equal(top.location, "page 2");

  const chat = tailor(
    "chat",
    "tiny",
    "--kb",
    "handbook",
    "--prompt",
    "What discount do staff get on bikes?",
    "--max-tokens",
    "4",
  );
  assert.equal(chat.code, 0, chat.stderr);
  assert.match(chat.stdout, /\nSources:\n {2}\[1\] faq\.md, Bikes\n/);

  const json = tailor(
    "chat",
    "tiny",
    "--kb",
    "handbook",
    "--prompt",
    "What is the capital of Australia?",
    "--max-tokens",
    "4",
    "--json",
  );
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout).citations, []);
  assert.equal(JSON.parse(json.stdout).found, false);

  assert.equal(tailor("kb", "rm", "handbook", "leave.pdf").code, 0);
  const shown = JSON.parse(tailor("kb", "show", "handbook", "--json").stdout);
  assert.deepEqual(shown.files.map((f: { filename: string }) => f.filename).sort(), [
    "broken.pdf",
    "faq.md",
  ]);
});
