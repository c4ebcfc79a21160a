/** `tailor chat`'s tools and schema files: what it accepts, and what it says about what it refuses. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Tool } from "../../protocol/index.ts";
import { loadSchema, loadTools, toolCard, toolChoice } from "./chat-tools.ts";

const dir = mkdtempSync(join(tmpdir(), "tailor-chat-tools-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

const ORDER: Tool = {
  type: "function",
  function: {
    name: "get_order_status",
    description: "Where a customer's order is.",
    parameters: {
      type: "object",
      properties: { order_id: { type: "string" } },
      required: ["order_id"],
    },
  },
};

test("tools come from a JSON array, an object with tools, or the first line of training data", () => {
  assert.deepEqual(loadTools(file("tools.json", JSON.stringify([ORDER]))), [ORDER]);
  assert.deepEqual(loadTools(file("request.json", JSON.stringify({ tools: [ORDER] }))), [ORDER]);
  const example = fileURLToPath(
    new URL("../../examples/bike-shop-tools/train.jsonl", import.meta.url),
  );
  assert.deepEqual(
    loadTools(example).map((t) => t.function.name),
    ["get_order_status", "book_repair", "find_product"],
  );
});

test("a wrong tools file is refused with the file, the entry and the field", () => {
  assert.throws(() => loadTools(file("broken.json", "[{")), /broken\.json is not JSON/);
  assert.throws(
    () =>
      loadTools(
        file(
          "bad-name.json",
          JSON.stringify([{ type: "function", function: { name: "get order" } }]),
        ),
      ),
    /bad-name\.json: tools\[0\]\.function\.name must be 1-64 letters/,
  );
  assert.throws(
    () => loadTools(file("twice.json", JSON.stringify([ORDER, ORDER]))),
    /tools\[1\]\.function\.name/,
  );
  const notSchema = { ...ORDER, function: { ...ORDER.function, parameters: { type: "objekt" } } };
  assert.throws(
    () => loadTools(file("not-schema.json", JSON.stringify([notSchema]))),
    /not-schema\.json: tools\[0\]\.function\.parameters/,
  );
  assert.throws(() => loadTools(file("empty.json", "[]")), /empty\.json: tools is empty/);
  assert.throws(
    () => loadTools(file("plain.jsonl", '{"messages": [{"role": "user", "content": "hi"}]}\n')),
    /plain\.jsonl, line 1 has no "tools"/,
  );
  assert.throws(
    () => loadTools(join(dir, "missing.json")),
    /--tools: cannot read .*missing\.json \(ENOENT\)/,
  );
});

test("--tool-choice names a mode or one of the functions", () => {
  assert.equal(toolChoice("required", [ORDER]), "required");
  assert.deepEqual(toolChoice("get_order_status", [ORDER]), {
    type: "function",
    function: { name: "get_order_status" },
  });
  assert.throws(
    () => toolChoice("book_repair", [ORDER]),
    /'book_repair' is not auto, none, required or one of the tools \(get_order_status\)/,
  );
});

test("--schema takes a bare JSON Schema, OpenAI's json_schema object, or a response_format", () => {
  const schema = { type: "object", properties: { intent: { type: "string" } } };
  assert.deepEqual(loadSchema(file("email fields.json", JSON.stringify(schema))), {
    type: "json_schema",
    json_schema: { name: "email_fields", schema, strict: true },
  });
  assert.deepEqual(loadSchema(file("named.json", JSON.stringify({ name: "email", schema }))), {
    type: "json_schema",
    json_schema: { name: "email", schema, strict: true },
  });
  const format = { type: "json_schema", json_schema: { name: "email", schema, strict: false } };
  assert.deepEqual(loadSchema(file("format.json", JSON.stringify(format))), format);
  assert.throws(
    () => loadSchema(file("list.json", "[1]")),
    /list\.json is not a JSON Schema object/,
  );
});

test("a call shows as a card: the function's name, then its arguments indented", () => {
  assert.equal(
    toolCard({ name: "get_order_status", arguments: '{"order_id":"NW-10482"}' }),
    '┌─ calls get_order_status\n│ {\n│   "order_id": "NW-10482"\n│ }\n└─',
  );
  // arguments that are not JSON (an unconstrained model's) show as they came
  assert.equal(toolCard({ name: "f", arguments: "{oops" }), "┌─ calls f\n│ {oops\n└─");
});
