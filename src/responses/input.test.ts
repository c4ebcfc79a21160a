import assert from "node:assert/strict";
import { test } from "node:test";
import type { ChatMessage } from "../../protocol/index.ts";
import { readInput } from "./input.ts";

test("a string is one user message", () => {
  const r = readInput("Hello?", []);
  assert.deepEqual(r.messages, [{ role: "user", content: "Hello?" }]);
  assert.deepEqual(r.questions, ["Hello?"]);
  assert.equal(r.items[0]?.type, "message");
  assert.match(r.items[0]?.id ?? "", /^msg_[0-9a-f]{32}$/);
});

test("items: developer is system, parts joined, an earlier output given back", () => {
  const r = readInput(
    [
      { role: "developer", content: "Be brief." },
      {
        type: "message",
        role: "user",
        content: [
          { type: "input_text", text: "Hi " },
          { type: "input_text", text: "there" },
        ],
      },
      {
        type: "message",
        id: "msg_old",
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: "Hello.", annotations: [] }],
      },
      { type: "file_search_call", id: "fs_old" },
      { role: "user", content: "And?" },
    ],
    [],
  );
  assert.deepEqual(r.messages, [
    { role: "system", content: "Be brief." },
    { role: "user", content: "Hi there" },
    { role: "assistant", content: "Hello." },
    { role: "user", content: "And?" },
  ]);
  assert.deepEqual(r.questions, ["Hi there", "And?"]);
  assert.deepEqual(
    r.items.map((i) => [i.type, i.type === "message" ? i.role : "", i.id.slice(0, 4)]),
    [
      ["message", "developer", "msg_"],
      ["message", "user", "msg_"],
      ["message", "assistant", "msg_"],
      ["message", "user", "msg_"],
    ],
  );
  assert.equal(r.items[2]?.id, "msg_old");
});

test("function results answer calls of the conversation or of this input", () => {
  const history: ChatMessage[] = [
    { role: "user", content: "Order?" },
    {
      role: "assistant",
      content: "",
      tool_calls: [{ id: "call_1", type: "function", function: { name: "get", arguments: "{}" } }],
    },
  ];
  const r = readInput(
    [{ type: "function_call_output", call_id: "call_1", output: "shipped" }],
    history,
  );
  assert.deepEqual(r.messages, [{ role: "tool", content: "shipped", tool_call_id: "call_1" }]);
  assert.match(r.items[0]?.id ?? "", /^fco_/);

  const stateless = readInput(
    [
      { role: "user", content: "Order?" },
      { type: "function_call", call_id: "c1", name: "get", arguments: '{"a":1}' },
      { type: "function_call", call_id: "c2", name: "get", arguments: '{"a":2}' },
      { type: "function_call_output", call_id: "c1", output: [{ type: "input_text", text: "x" }] },
    ],
    [],
  );
  assert.deepEqual(
    stateless.messages[1]?.tool_calls?.map((c) => c.id),
    ["c1", "c2"],
    "consecutive calls are one assistant message",
  );
  assert.deepEqual(stateless.messages[2], { role: "tool", content: "x", tool_call_id: "c1" });

  assert.throws(
    () => readInput([{ type: "function_call_output", call_id: "nope", output: "x" }], history),
    (e: Error & { details?: { field?: string } }) =>
      e.details?.field === "input[0].call_id" && /previous_response_id/.test(e.message),
  );
  assert.throws(
    () => readInput([{ type: "function_call", call_id: "c", name: "f", arguments: "{" }], []),
    (e: Error & { details?: { field?: string } }) => e.details?.field === "input[0].arguments",
  );
  assert.throws(() => readInput([{ type: "file_search_call", id: "fs" }], []), /nothing/);
});
