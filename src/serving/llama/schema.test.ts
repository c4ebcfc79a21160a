import assert from "node:assert/strict";
import { test } from "node:test";
import { grammarSchema } from "./schema.ts";

const reason = (schema: Record<string, unknown>) => {
  const out = grammarSchema(schema);
  return "reason" in out ? out.reason : null;
};
const converted = (schema: Record<string, unknown>) => {
  const out = grammarSchema(schema);
  assert.ok("schema" in out, "reason" in out ? out.reason : "");
  return out.schema as unknown;
};

test("what the converter enforces passes, rewritten where JSON Schema means more than it reads", () => {
  assert.deepEqual(
    converted({
      type: "object",
      title: "City",
      properties: {
        name: { type: "string", maxLength: 20, description: "its name" },
        size: { anyOf: [{ enum: ["small", "large"] }, { type: "null" }] },
        founded: { type: "string", format: "date" },
        tags: { type: "array", items: { type: ["string", "null"] }, maxItems: 3 },
      },
      required: ["name"],
      additionalProperties: false,
    }),
    {
      type: "object",
      properties: {
        name: { type: "string", maxLength: 20, description: "its name" },
        size: { oneOf: [{ enum: ["small", "large"] }, { type: "null" }] },
        founded: { type: "string", format: "date" },
        tags: { type: "array", items: { type: ["string", "null"] }, maxItems: 3 },
      },
      required: ["name"],
      additionalProperties: false,
    },
  );
  // {"type": "object"} is any object, not only {}
  assert.deepEqual(converted({ type: "object" }), { type: "object", additionalProperties: true });
  // a type list naming object: one branch per type, each with its own keywords
  assert.deepEqual(
    converted({ type: ["object", "null"], properties: { a: { type: "integer" } } }),
    {
      oneOf: [{ type: "object", properties: { a: { type: "integer" } } }, { type: "null" }],
    },
  );
  // references into $defs at the root
  assert.deepEqual(
    converted({
      $defs: { id: { type: "integer" } },
      type: "object",
      properties: { id: { $ref: "#/$defs/id" } },
    }),
    {
      type: "object",
      properties: { id: { $ref: "#/$defs/id" } },
      $defs: { id: { type: "integer" } },
    },
  );
});

test("what the converter would silently drop is refused, saying where and what", () => {
  assert.match(
    reason({ type: "object", properties: { code: { type: "string", pattern: "^A" } } }) ?? "",
    /properties\/code uses "pattern"/,
  );
  assert.match(reason({ type: "integer", minimum: 1 }) ?? "", /root uses "minimum"/);
  assert.match(reason({ type: "string", format: "email" }) ?? "", /format is "email"/);
  assert.match(
    reason({ $ref: "#/definitions/a", definitions: {} }) ?? "",
    /"definitions"|#\/definitions/,
  );
  assert.match(
    reason({ type: "object", properties: { a: { type: "string" } }, required: ["b"] }) ?? "",
    /names b/,
  );
  assert.match(reason({ allOf: [{ type: "string" }] }) ?? "", /"allOf"/);
  assert.match(
    reason({ type: "array", items: { type: "object", $defs: { x: { type: "string" } } } }) ?? "",
    /\$defs below the root/,
  );
});
