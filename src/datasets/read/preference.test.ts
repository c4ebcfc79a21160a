import assert from "node:assert/strict";
import { test } from "node:test";
import type { DataRecord } from "./index.ts";
import { parseJsonLine } from "./jsonl.ts";

const parse = (value: unknown, line = 7): DataRecord => parseJsonLine(JSON.stringify(value), line);

const user = (content: string) => ({ role: "user", content });
const assistant = (content: string) => ({ role: "assistant", content });
const SYSTEM = { role: "system", content: "You answer for Northwind Bikes." };

const ORDER_TOOL = {
  type: "function",
  function: {
    name: "get_order_status",
    parameters: {
      type: "object",
      properties: { order_id: { type: "string" } },
      required: ["order_id"],
    },
  },
};

function example(r: DataRecord) {
  assert.equal(r.kind, "example", JSON.stringify(r));
  if (r.kind !== "example") throw new Error("unreachable");
  return r.example;
}

function problem(r: DataRecord) {
  assert.equal(r.kind, "problem", JSON.stringify(r));
  if (r.kind !== "problem") throw new Error("unreachable");
  return { line: r.line, code: r.code, field: r.field };
}

test("OpenAI's format: the conversation then the preferred answer, the other kept aside, tools kept", () => {
  const e = example(
    parse({
      input: {
        messages: [SYSTEM, user("Where is my order NW-10010?")],
        tools: [ORDER_TOOL],
        parallel_tool_calls: false,
      },
      preferred_output: [assistant("Let me look that up for you: it left our shop this morning.")],
      non_preferred_output: [assistant("Dunno.")],
    }),
  );
  assert.deepEqual(
    e.messages.map((m) => [m.role, m.content]),
    [
      ["system", SYSTEM.content],
      ["user", "Where is my order NW-10010?"],
      ["assistant", "Let me look that up for you: it left our shop this morning."],
    ],
  );
  assert.deepEqual(e.non_preferred_output, [{ role: "assistant", content: "Dunno." }]);
  assert.equal(e.tools?.[0]?.function.name, "get_order_status");
  assert.equal(e.parallel_tool_calls, false);
});

test("OpenAI's format: an answer that calls a function is checked against the offered tools", () => {
  const call = (args: string) => ({
    role: "assistant",
    content: null,
    tool_calls: [
      { id: "call_1", type: "function", function: { name: "get_order_status", arguments: args } },
    ],
  });
  const e = example(
    parse({
      input: { messages: [user("Where is NW-10010?")], tools: [ORDER_TOOL] },
      preferred_output: [call('{"order_id": "NW-10010"}')],
      non_preferred_output: [assistant("I cannot check orders.")],
    }),
  );
  assert.equal(e.messages.at(-1)?.tool_calls?.[0]?.function.name, "get_order_status");
  assert.deepEqual(
    problem(
      parse({
        input: { messages: [user("Where is NW-10010?")], tools: [ORDER_TOOL] },
        preferred_output: [assistant("Let me check.")],
        non_preferred_output: [call('{"order": 1}')],
      }),
    ),
    {
      line: 7,
      code: "invalid_arguments",
      field: "non_preferred_output[0].tool_calls[0].function.arguments",
    },
  );
});

test("TRL's prompt/chosen/rejected as strings, as message lists, and as whole conversations", () => {
  const strings = example(
    parse({ prompt: "Is the shop open Sunday?", chosen: "Yes, 10 to 4.", rejected: "no idea" }),
  );
  assert.deepEqual(strings.messages, [
    user("Is the shop open Sunday?"),
    assistant("Yes, 10 to 4."),
  ]);
  assert.deepEqual(strings.non_preferred_output, [assistant("no idea")]);

  const lists = example(
    parse({
      prompt: [SYSTEM, user("Is the shop open Sunday?")],
      chosen: [assistant("Yes, 10 to 4.")],
      rejected: [assistant("no idea")],
    }),
  );
  assert.deepEqual(lists.messages.length, 3);
  assert.deepEqual(lists.non_preferred_output, [assistant("no idea")]);

  const implicit = example(
    parse({
      chosen: [user("Is the shop open Sunday?"), assistant("Yes, 10 to 4.")],
      rejected: [user("Is the shop open Sunday?"), assistant("no idea")],
    }),
  );
  assert.deepEqual(implicit.messages, lists.messages.slice(1));
  assert.deepEqual(implicit.non_preferred_output, [assistant("no idea")]);
});

test("Tailor's stored form (a chat line with non_preferred_output) reads back the same", () => {
  const first = example(
    parse({
      input: { messages: [user("Can I return a helmet?")] },
      preferred_output: [assistant("Yes, within 30 days with the receipt.")],
      non_preferred_output: [assistant("Maybe.")],
    }),
  );
  assert.deepEqual(example(parse(first)), first);
});

test("each problem names its line and field", () => {
  const cases: [unknown, string, string][] = [
    [
      {
        input: { messages: [user("Hi")] },
        preferred_output: [assistant("Hello! How can I help?")],
        non_preferred_output: [assistant("  Hello! How can I help?")],
      },
      "identical_pair",
      "non_preferred_output",
    ],
    [
      { prompt: "Hi", chosen: "Hello! How can I help?", rejected: "Hello! How can I help?" },
      "identical_pair",
      "rejected",
    ],
    [
      {
        input: { messages: [user("Hi")] },
        preferred_output: [],
        non_preferred_output: [assistant("yo")],
      },
      "empty_content",
      "preferred_output",
    ],
    [
      {
        input: { messages: [user("Hi")] },
        preferred_output: [assistant("Hello!")],
        non_preferred_output: [assistant("")],
      },
      "empty_content",
      "non_preferred_output[0].content",
    ],
    [{ prompt: "Hi", chosen: "", rejected: "yo" }, "empty_content", "chosen"],
    [
      { input: { messages: [user("Hi")] }, preferred_output: [assistant("Hello!")] },
      "missing_field",
      "non_preferred_output",
    ],
    [{ prompt: "Hi", chosen: "Hello!" }, "missing_field", "rejected"],
    [
      { preferred_output: [assistant("Hello!")], non_preferred_output: [assistant("yo")] },
      "missing_field",
      "input",
    ],
    [
      {
        input: { messages: [user("Hi")] },
        preferred_output: [user("Hello!")],
        non_preferred_output: [assistant("yo")],
      },
      "wrong_role",
      "preferred_output[0].role",
    ],
    [
      {
        prompt: [user("Hi")],
        chosen: [assistant("Hello!")],
        rejected: [assistant("yo"), { role: "tool", content: "x" }],
      },
      "wrong_role",
      "rejected[1].role",
    ],
    [
      {
        input: { messages: [user("Hi"), assistant("Hello!")] },
        preferred_output: [assistant("How can I help?")],
        non_preferred_output: [assistant("yo")],
      },
      "wrong_role",
      "input.messages[1].role",
    ],
    [
      {
        input: { messages: [{ role: "user", content: "" }] },
        preferred_output: [assistant("Hello!")],
        non_preferred_output: [assistant("yo")],
      },
      "empty_content",
      "input.messages[0].content",
    ],
    [
      {
        input: { messages: [{ role: "customer", content: "Hi" }] },
        preferred_output: [assistant("Hello!")],
        non_preferred_output: [assistant("yo")],
      },
      "unknown_role",
      "input.messages[0].role",
    ],
    [
      {
        input: { messages: [user("Hi")], tools: [{ type: "function" }] },
        preferred_output: [assistant("Hello!")],
        non_preferred_output: [assistant("yo")],
      },
      "invalid_tools",
      "input.tools[0].function",
    ],
    [
      { input: { messages: [user("Hi")] }, preferred_output: "Hello!", non_preferred_output: [] },
      "wrong_type",
      "preferred_output",
    ],
    [{ prompt: 3, chosen: "Hello!", rejected: "yo" }, "wrong_type", "prompt"],
    [{ chosen: [assistant("Hello!")], rejected: [assistant("yo")] }, "missing_field", "prompt"],
  ];
  for (const [value, code, field] of cases) {
    assert.deepEqual(problem(parse(value, 12)), { line: 12, code, field }, JSON.stringify(value));
  }
});

test("a problem's message says what to do", () => {
  const r = parse({
    input: { messages: [user("Hi")] },
    preferred_output: [assistant("Hello!")],
    non_preferred_output: [assistant("Hello!")],
  });
  assert.ok(r.kind === "problem");
  assert.match(r.message, /same answer as preferred_output.*write the worse answer/);
});
