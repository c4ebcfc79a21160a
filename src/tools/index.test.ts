import assert from "node:assert/strict";
import { test } from "node:test";
import type { Tool } from "../../protocol/index.ts";
import {
  checkCallArguments,
  checkJsonSchema,
  checkToolDefinitions,
  fromLegacyFunctions,
  fromLegacyMessages,
} from "./index.ts";

const orderStatus: Tool = {
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
};
const bookRepair: Tool = {
  type: "function",
  function: {
    name: "book_repair",
    parameters: {
      type: "object",
      properties: {
        bike: { type: "string" },
        problem: { type: "string", enum: ["brakes", "gears", "tyre"] },
        date: { type: "string", format: "date" },
      },
      required: ["bike", "problem", "date"],
    },
  },
};
const tools = [orderStatus, bookRepair];

test("good definitions pass: draft 2020-12 by default, draft-07 when $schema says so, no parameters", () => {
  assert.equal(checkToolDefinitions(tools), null);
  const draft07 = {
    type: "function",
    function: {
      name: "find_product",
      parameters: {
        $schema: "http://json-schema.org/draft-07/schema#",
        type: "object",
        properties: { query: { $ref: "#/definitions/q" } },
        definitions: { q: { type: "string" } },
      },
    },
  };
  const noArgs = { type: "function", function: { name: "opening_hours" } };
  assert.equal(checkToolDefinitions([...tools, draft07, noArgs]), null);
});

test("bad definitions name the field and say what is wrong", () => {
  const cases: [unknown, string, RegExp][] = [
    [{ name: "x" }, "tools", /must be an array of functions/],
    [[], "tools", /is empty/],
    [[{ type: "fn", function: { name: "a" } }], "tools[0].type", /must be "function"/],
    [[{ type: "function" }], "tools[0].function", /is missing/],
    [
      [{ type: "function", function: { name: "has space" } }],
      "tools[0].function.name",
      /letters, digits/,
    ],
    [
      [orderStatus, { type: "function", function: { name: "x", parameters: { type: "objekt" } } }],
      "tools[1].function.parameters.type",
      /is not a valid JSON Schema: must be equal to one of the allowed values: "array", "boolean"/,
    ],
    [
      [
        {
          type: "function",
          function: { name: "x", parameters: { type: "object", required: "id" } },
        },
      ],
      "tools[0].function.parameters.required",
      /not a valid JSON Schema: must be array/,
    ],
    [
      [{ type: "function", function: { name: "x", parameters: { $ref: "#/nowhere" } } }],
      "tools[0].function.parameters",
      /not a usable JSON Schema: can't resolve reference #\/nowhere/,
    ],
    [
      [{ type: "function", function: { name: "x", parameters: { type: "string" } } }],
      "tools[0].function.parameters.type",
      /must have "type": "object"/,
    ],
    [
      [orderStatus, bookRepair, bookRepair],
      "tools[2].function.name",
      /^"book_repair" is defined twice \(also tools\[1\]\)/,
    ],
  ];
  for (const [input, field, message] of cases) {
    const p = checkToolDefinitions(input);
    assert.equal(p?.field, field, JSON.stringify(input));
    assert.match(p?.message ?? "", message);
    assert.equal(p?.code, "invalid_tools");
  }
  assert.equal(checkToolDefinitions([{ x: 1 }], "functions")?.field, "functions[0].type");
});

test("checkJsonSchema: a response format's schema, and an unknown $schema", () => {
  assert.equal(checkJsonSchema({ type: "object" }, "response_format.json_schema.schema"), null);
  assert.deepEqual(checkJsonSchema({ $schema: "http://example.com/mine" }, "s"), {
    field: "s.$schema",
    code: "invalid_tools",
    message:
      '"http://example.com/mine" is not a JSON Schema version Tailor knows; use draft 2020-12 or draft-07, or leave $schema out',
  });
  assert.equal(checkJsonSchema([1], "s")?.message, "must be a JSON Schema object");
});

test("calls: the function exists, arguments are a JSON object valid against its parameters", () => {
  const at = "messages[2].tool_calls[0].function";
  const check = (name: string, args: string) =>
    checkCallArguments(tools, { name, arguments: args }, at);
  assert.equal(check("get_order_status", '{"order_id": "A-1001"}'), null);
  assert.equal(
    check("book_repair", '{"bike": "Cityglide", "problem": "gears", "date": "not checked"}'),
    null,
  );
  assert.deepEqual(check("get_order_status", "{}"), {
    field: "messages[2].tool_calls[0].function.arguments",
    code: "invalid_arguments",
    message: "must have required property 'order_id' (the parameters of get_order_status)",
  });
  assert.match(
    check("get_order_status", '{"order_id": "A", "colour": "red"}')?.message ?? "",
    /must NOT have additional properties \("colour"\)/,
  );
  assert.match(
    check("book_repair", '{"bike": "x", "problem": "chain", "date": "d"}')?.message ?? "",
    /^"problem" must be equal to one of the allowed values: "brakes", "gears", "tyre"/,
  );
  assert.match(
    check("get_order_status", '{"order_id": 7}')?.message ?? "",
    /^"order_id" must be string/,
  );
  assert.match(
    check("get_order_status", "{order_id: 1}")?.message ?? "",
    /is not valid JSON .*write the arguments as a JSON object/,
  );
  assert.match(
    check("get_order_status", "[1]")?.message ?? "",
    /must be a JSON object of named arguments, not an array/,
  );
  const unknown = check("cancel_order", "{}");
  assert.equal(unknown?.field, "messages[2].tool_calls[0].function.name");
  assert.equal(unknown?.code, "unknown_function");
  assert.match(
    unknown?.message ?? "",
    /"cancel_order", which is not among the functions defined \(get_order_status, book_repair\)/,
  );
  // a function without parameters takes any object
  const free: Tool[] = [{ type: "function", function: { name: "opening_hours" } }];
  assert.equal(checkCallArguments(free, { name: "opening_hours", arguments: "{}" }, at), null);
});

test("legacy functions and function_call become tools and tool calls with deterministic ids", () => {
  const f = orderStatus.function;
  assert.deepEqual(fromLegacyFunctions([f]), { tools: [{ type: "function", function: f }] });
  assert.deepEqual(fromLegacyFunctions([f], { name: f.name }).tool_choice, {
    type: "function",
    function: { name: f.name },
  });
  assert.equal(fromLegacyFunctions([f], "none").tool_choice, "none");
  const converted = fromLegacyMessages([
    { role: "user", content: "Where are orders A-1 and B-2?" },
    {
      role: "assistant",
      content: null,
      function_call: { name: "get_order_status", arguments: '{"order_id": "A-1"}' },
    },
    { role: "function", name: "get_order_status", content: '{"status": "shipped"}' },
    {
      role: "assistant",
      function_call: { name: "get_order_status", arguments: '{"order_id": "B-2"}' },
    },
    { role: "function", name: "get_order_status", content: '{"status": "packed"}' },
    { role: "function", name: "book_repair", content: "orphan" },
    { role: "assistant", content: "A-1 has shipped; B-2 is being packed." },
  ]);
  assert.deepEqual(converted, [
    { role: "user", content: "Where are orders A-1 and B-2?" },
    {
      role: "assistant",
      content: "",
      tool_calls: [
        {
          id: "call_1",
          type: "function",
          function: { name: "get_order_status", arguments: '{"order_id": "A-1"}' },
        },
      ],
    },
    { role: "tool", content: '{"status": "shipped"}', tool_call_id: "call_1" },
    {
      role: "assistant",
      content: "",
      tool_calls: [
        {
          id: "call_2",
          type: "function",
          function: { name: "get_order_status", arguments: '{"order_id": "B-2"}' },
        },
      ],
    },
    { role: "tool", content: '{"status": "packed"}', tool_call_id: "call_2" },
    { role: "tool", content: "orphan" },
    { role: "assistant", content: "A-1 has shipped; B-2 is being packed." },
  ]);
});
