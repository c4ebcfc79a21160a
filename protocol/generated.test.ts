import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { PYTHON_PATH, renderPython, renderSchema, SCHEMA_PATH } from "../scripts/gen-protocol.ts";
import { EngineMessage } from "./engine/index.ts";

const drift =
  "is out of date with protocol/engine/: run `npm run gen:protocol` and commit the result";

test("the checked-in JSON Schema matches the zod schemas", () => {
  assert.equal(readFileSync(SCHEMA_PATH, "utf8"), renderSchema(), `${SCHEMA_PATH} ${drift}`);
});

test("the engine's generated Python module matches the zod schemas", () => {
  assert.equal(readFileSync(PYTHON_PATH, "utf8"), renderPython(), `${PYTHON_PATH} ${drift}`);
});

function lines(name: string): unknown[] {
  return readFileSync(new URL(`./examples/${name}`, import.meta.url), "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

test("every shared valid example message passes the TypeScript schema", () => {
  for (const m of lines("valid-messages.jsonl")) {
    const r = EngineMessage.safeParse(m);
    assert.ok(r.success, `${JSON.stringify(m)}: ${r.error?.message}`);
  }
});

test("every shared invalid example message is rejected by the TypeScript schema", () => {
  for (const m of lines("invalid-messages.jsonl")) {
    assert.equal(EngineMessage.safeParse(m).success, false, `accepted ${JSON.stringify(m)}`);
  }
});
