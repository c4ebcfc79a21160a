/** The questions of a chat JSONL file: the last user message of each example, whatever else it holds. */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { questionsIn } from "./training.ts";

test("the last user message of each example; calls without content, parts, bad lines", () => {
  const file = join(mkdtempSync(join(tmpdir(), "tailor-questions-")), "train.jsonl");
  const lines = [
    {
      messages: [
        { role: "user", content: "What time do you close?" },
        { role: "assistant", content: "At six." },
      ],
    },
    {
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Where is order NW-12345?" },
        {
          role: "assistant",
          tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: "c1", content: "shipped" },
        { role: "assistant", content: "It shipped." },
        { role: "user", content: "thanks!" },
        { role: "assistant", content: "You're welcome." },
      ],
    },
    {
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Do you fix" },
            { type: "text", text: "e-bikes?" },
          ],
        },
      ],
    },
    {
      messages: [
        { role: "user", content: "   " },
        { role: "assistant", content: "?" },
      ],
    },
    { text: "a labelled text without messages", label: "x" },
  ];
  writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join("\n")}\nnot json\n\n`);
  assert.deepEqual(questionsIn(file), [
    "What time do you close?",
    "thanks!",
    "Do you fix\ne-bikes?",
  ]);
  assert.deepEqual(questionsIn(join(file, "..", "missing.jsonl")), []);
});
