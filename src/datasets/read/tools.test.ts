import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { type DataRecord, parseJsonLine, readRecords } from "./index.ts";

const FIXTURE = fileURLToPath(new URL("../__fixtures__/tools.jsonl", import.meta.url));

async function all(path: string): Promise<DataRecord[]> {
  const out: DataRecord[] = [];
  for await (const r of readRecords(path)) out.push(r);
  return out;
}

test("a file of tool examples: good lines read, each bad line a problem with its field and advice", async () => {
  const recs = await all(FIXTURE);
  assert.deepEqual(
    recs.filter((r) => r.kind === "example").map((r) => r.line),
    [1, 2, 3, 4, 5, 6],
  );
  const problems = recs.flatMap((r) => (r.kind === "problem" ? [r] : []));
  const expected: [number, string, string, RegExp][] = [
    [
      7,
      "unknown_function",
      "messages[1].tool_calls[0].function.name",
      /^calls "cancel_order", which is not among the functions defined \(get_order_status, book_repair, find_product, opening_hours\); call one of those or add "cancel_order" to the tools$/,
    ],
    [
      8,
      "invalid_arguments",
      "messages[1].tool_calls[0].function.arguments",
      /^is not valid JSON \(.*\); write the arguments as a JSON object in a string/,
    ],
    [
      9,
      "invalid_arguments",
      "messages[1].tool_calls[0].function.arguments",
      /^must have required property 'order_id' \(the parameters of get_order_status\)$/,
    ],
    [
      10,
      "unmatched_tool_result",
      "messages[2].tool_call_id",
      /^"call_9" is the id of no earlier call; use the id of the assistant tool_calls entry/,
    ],
    [
      11,
      "unanswered_call",
      "messages[1].tool_calls[0]",
      /^the call to get_order_status gets no result before the next user turn \(messages\[2\]\); add \{"role": "tool", "tool_call_id": "call_j"/,
    ],
    [
      12,
      "no_tools",
      "messages[1].tool_calls",
      /^calls get_order_status but the line defines no functions; add a top-level "tools" array/,
    ],
    [
      13,
      "invalid_tools",
      "tools[1].function.parameters.type",
      /^is not a valid JSON Schema: must be equal to one of the allowed values: "array", "boolean"/,
    ],
    [
      14,
      "invalid_tools",
      "tools[2].function.name",
      /^"book_repair" is defined twice \(also tools\[1\]\); give each function its own name$/,
    ],
    [
      15,
      "empty_content",
      "messages[0].content",
      /^is empty; write the text or remove the message$/,
    ],
    [
      16,
      "unknown_function",
      "messages[1].function_call.name",
      /^calls "cancel_order", .* add "cancel_order" to functions$/,
    ],
    [17, "unmatched_tool_result", "messages[1].name", /no earlier function_call called/],
    [
      18,
      "invalid_arguments",
      "messages[1].tool_calls[0].function.arguments",
      /^"problem" must be equal to one of the allowed values: "brakes", "gears", "tyre", "chain" \(the parameters of book_repair\)$/,
    ],
  ];
  assert.equal(problems.length, expected.length);
  expected.forEach(([line, code, field, message], i) => {
    const p = problems[i];
    assert.deepEqual([p?.line, p?.code, p?.field], [line, code, field]);
    assert.match(p?.message ?? "", message, `line ${line}`);
  });
});

test('an example keeps its tools and parallel_tool_calls; a calling assistant\'s content is ""', async () => {
  const recs = await all(FIXTURE);
  const third = recs[2];
  assert.ok(third?.kind === "example");
  assert.deepEqual(
    third.example.tools?.map((t) => t.function.name),
    ["get_order_status", "book_repair", "find_product", "opening_hours"],
  );
  assert.equal(third.example.parallel_tool_calls, true);
  assert.deepEqual(third.example.messages[1], {
    role: "assistant",
    content: "",
    tool_calls: [
      {
        id: "call_c",
        type: "function",
        function: { name: "find_product", arguments: '{"query":"helmet","max_price":60}' },
      },
      {
        id: "call_d",
        type: "function",
        function: { name: "get_order_status", arguments: '{"order_id":"B-77"}' },
      },
    ],
  });
  const second = recs[1];
  assert.ok(second?.kind === "example");
  assert.equal(second.example.messages[2]?.content, "", 'content null on a call becomes ""');
});

test("the legacy functions form is read as tools, calls numbered call_1, call_2", async () => {
  const recs = await all(FIXTURE);
  const legacy = recs[5];
  assert.ok(legacy?.kind === "example");
  assert.deepEqual(legacy.example, {
    tools: [
      {
        type: "function",
        function: {
          name: "get_order_status",
          description: "Where an order is",
          parameters: {
            type: "object",
            properties: { order_id: { type: "string" } },
            required: ["order_id"],
            additionalProperties: false,
          },
        },
      },
      {
        type: "function",
        function: {
          name: "book_repair",
          description: "Book a workshop slot",
          parameters: {
            type: "object",
            properties: {
              bike: { type: "string" },
              problem: { type: "string", enum: ["brakes", "gears", "tyre", "chain"] },
              date: { type: "string" },
            },
            required: ["bike", "problem", "date"],
          },
        },
      },
      {
        type: "function",
        function: {
          name: "find_product",
          description: "Search the shop",
          parameters: {
            type: "object",
            properties: { query: { type: "string" }, max_price: { type: "number" } },
            required: ["query"],
          },
        },
      },
      {
        type: "function",
        function: { name: "opening_hours", description: "When the shop is open" },
      },
    ],
    messages: [
      { role: "user", content: "Status of order C-5?" },
      {
        role: "assistant",
        content: "",
        tool_calls: [
          {
            id: "call_1",
            type: "function",
            function: { name: "get_order_status", arguments: '{"order_id": "C-5"}' },
          },
        ],
      },
      { role: "tool", content: '{"status": "delivered"}', tool_call_id: "call_1" },
      { role: "assistant", content: "Order C-5 was delivered." },
    ],
  });
});

test("more tool problems: both forms at once, empty tool_calls, calls on a user, ids reused, parallel off", () => {
  const tools = [{ type: "function", function: { name: "f", parameters: { type: "object" } } }];
  const c = (id: string) => ({ id, type: "function", function: { name: "f", arguments: "{}" } });
  const cases: [object, string, string, RegExp][] = [
    [
      { tools, functions: [], messages: [{ role: "user", content: "x" }] },
      "invalid_tools",
      "functions",
      /together with tools/,
    ],
    [
      {
        tools,
        messages: [
          { role: "user", content: "x" },
          { role: "assistant", content: null, tool_calls: [] },
        ],
      },
      "wrong_type",
      "messages[1].content",
      /./,
    ],
    [
      {
        tools,
        messages: [
          { role: "user", content: "x" },
          { role: "assistant", content: "y", tool_calls: [] },
        ],
      },
      "wrong_type",
      "messages[1].tool_calls",
      /is empty; list the calls/,
    ],
    [
      {
        tools,
        messages: [
          { role: "user", content: "x", tool_calls: [c("a")] },
          { role: "assistant", content: "y" },
        ],
      },
      "misplaced_tool_calls",
      "messages[0].tool_calls",
      /only assistant messages call functions/,
    ],
    [
      {
        tools,
        messages: [
          { role: "user", content: "x" },
          { role: "assistant", tool_calls: [c("a"), c("a")] },
        ],
      },
      "duplicate_call_id",
      "messages[1].tool_calls[1].id",
      /"a" is already the id/,
    ],
    [
      {
        tools,
        parallel_tool_calls: false,
        messages: [
          { role: "user", content: "x" },
          { role: "assistant", tool_calls: [c("a"), c("b")] },
        ],
      },
      "misplaced_tool_calls",
      "messages[1].tool_calls",
      /parallel_tool_calls is false/,
    ],
    [
      {
        tools,
        messages: [
          { role: "user", content: "x" },
          { role: "assistant", tool_calls: [c("a")] },
          { role: "tool", tool_call_id: "a", content: "1" },
          { role: "tool", tool_call_id: "a", content: "2" },
        ],
      },
      "unmatched_tool_result",
      "messages[3].tool_call_id",
      /answers call "a" a second time/,
    ],
    [
      {
        tools,
        messages: [
          { role: "user", content: "x" },
          { role: "tool", content: "1" },
          { role: "assistant", content: "y" },
        ],
      },
      "missing_field",
      "messages[1].tool_call_id",
      /is missing; say which call/,
    ],
    [
      {
        tools,
        messages: [
          { role: "user", content: "x" },
          { role: "assistant", tool_calls: [c("a")] },
          { role: "assistant", content: "y" },
        ],
      },
      "unanswered_call",
      "messages[1].tool_calls[0]",
      /before the next assistant turn/,
    ],
    [
      { tools: "f", messages: [{ role: "user", content: "x" }] },
      "invalid_tools",
      "tools",
      /must be an array of functions/,
    ],
    [
      { messages: [{ role: "robot", content: "x" }] },
      "unknown_role",
      "messages[0].role",
      /"system", "user", "assistant" or "tool"/,
    ],
  ];
  for (const [value, code, field, message] of cases) {
    const r = parseJsonLine(JSON.stringify(value), 1);
    assert.ok(r.kind === "problem", JSON.stringify(value));
    assert.deepEqual([r.code, r.field], [code, field], JSON.stringify(value));
    assert.match(r.message, message);
  }
  // a tool message answering an earlier call in the same turn, and a final call without a result
  const ok = parseJsonLine(
    JSON.stringify({
      tools,
      messages: [
        { role: "user", content: "x" },
        { role: "assistant", tool_calls: [c("a"), c("b")] },
        { role: "tool", tool_call_id: "b", content: "2" },
        { role: "tool", tool_call_id: "a", content: "1" },
        { role: "assistant", content: "done" },
        { role: "user", content: "again" },
        { role: "assistant", tool_calls: [c("z")] },
      ],
    }),
    1,
  );
  assert.equal(ok.kind, "example", JSON.stringify(ok));
});
