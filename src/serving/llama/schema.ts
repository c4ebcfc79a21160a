/**
 * A request's JSON Schema in the subset node-llama-cpp's grammar converter turns into a GBNF grammar
 * (`llama.createGrammarForJsonSchema`), or the reason it cannot be: then the PyTorch engine answers
 * (its constraints take any JSON Schema). Every output the grammar allows must validate, so what the
 * converter would silently ignore (a `pattern`, a `minimum`) is refused here rather than dropped.
 *
 * Rewritten on the way (each a subset of what the schema allows, or equal to it): `anyOf` as
 * `oneOf` (any one branch matches), a `type` list naming object or array as `oneOf` per type, `{}`
 * as any JSON value, an object without `properties` as any object. The converter writes every listed
 * property, which satisfies `required`.
 */
import type { GbnfJsonSchema } from "node-llama-cpp";

export type GrammarSchema = { schema: GbnfJsonSchema } | { reason: string };

/** Keywords that only describe; the grammar ignores them and validation does too. */
const ANNOTATIONS = new Set([
  "title",
  "description",
  "$schema",
  "$id",
  "$comment",
  "examples",
  "default",
  "deprecated",
  "readOnly",
  "writeOnly",
]);
const FORMATS = new Set(["date-time", "date", "time"]);
const SCALARS = new Set(["string", "number", "integer", "boolean", "null"]);
const KEYWORDS: Record<string, readonly string[]> = {
  string: ["minLength", "maxLength", "format"],
  object: ["properties", "required", "additionalProperties", "minProperties", "maxProperties"],
  array: ["items", "prefixItems", "minItems", "maxItems"],
  number: [],
  integer: [],
  boolean: [],
  null: [],
};

const ANY_VALUE = {
  oneOf: [
    { type: ["string", "number", "boolean", "null"] },
    { type: "object", additionalProperties: true },
    { type: "array" },
  ],
} as unknown as GbnfJsonSchema;

/** The schema as the grammar converter takes it, or why it cannot. */
export function grammarSchema(schema: Record<string, unknown>): GrammarSchema {
  try {
    return { schema: convert(schema, "", true) as GbnfJsonSchema };
  } catch (e) {
    if (e instanceof Unsupported) return { reason: e.message };
    throw e;
  }
}

class Unsupported extends Error {}

function fail(where: string, what: string): never {
  throw new Unsupported(`the JSON Schema's ${where || "root"} ${what}`);
}

function convert(node: unknown, at: string, root = false): unknown {
  if (node === true) return ANY_VALUE;
  if (!isRecord(node)) fail(at, "is not a schema object");
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (!ANNOTATIONS.has(key)) rest[key] = value;
  }
  const description = typeof node.description === "string" ? { description: node.description } : {};
  const defs = "$defs" in rest ? { $defs: convertDefs(rest.$defs, `${at}/$defs`) } : {};
  delete rest.$defs;
  if (!root && "$defs" in defs)
    fail(at, "has $defs below the root (the grammar reads them at the root only)");

  if ("$ref" in rest) {
    only(rest, ["$ref"], at);
    const ref = rest.$ref;
    if (typeof ref !== "string" || !ref.startsWith("#/$defs/")) {
      fail(
        `${at}/$ref`,
        `is ${JSON.stringify(ref)}; only references into #/$defs/ are turned into grammars`,
      );
    }
    return { $ref: ref, ...description, ...defs };
  }
  for (const key of ["anyOf", "oneOf"] as const) {
    if (key in rest) {
      only(rest, [key], at);
      const branches = rest[key];
      if (!Array.isArray(branches) || branches.length === 0)
        fail(`${at}/${key}`, "is not a list of schemas");
      return {
        oneOf: branches.map((b, i) => convert(b, `${at}/${key}/${i}`)),
        ...description,
        ...defs,
      };
    }
  }
  if ("const" in rest) {
    only(rest, ["const", "type"], at);
    if (!isScalar(rest.const)) fail(`${at}/const`, "is not a string, number, boolean or null");
    return { const: rest.const, ...description, ...defs };
  }
  if ("enum" in rest) {
    only(rest, ["enum", "type"], at);
    const values = rest.enum;
    if (!Array.isArray(values) || values.length === 0 || !values.every(isScalar)) {
      fail(`${at}/enum`, "is not a list of strings, numbers, booleans or nulls");
    }
    return { enum: values, ...description, ...defs };
  }
  const type = rest.type;
  if (type === undefined) {
    only(rest, [], at);
    return { ...(ANY_VALUE as object), ...description, ...defs };
  }
  const types = Array.isArray(type) ? type : [type];
  if (types.length === 0 || !types.every((t) => typeof t === "string" && t in KEYWORDS)) {
    fail(`${at}/type`, `is ${JSON.stringify(type)}, not JSON Schema types`);
  }
  if (types.length > 1) {
    if (types.every((t) => SCALARS.has(t as string)) && Object.keys(rest).length === 1) {
      return { type: types, ...description, ...defs };
    }
    const branches = types.map((t) => convertTyped(t as string, rest, at));
    return { oneOf: branches, ...description, ...defs };
  }
  return { ...convertTyped(types[0] as string, rest, at), ...description, ...defs };
}

/** One type's keywords; keywords of the other types in a type list are ignored, as JSON Schema does. */
function convertTyped(
  type: string,
  node: Record<string, unknown>,
  at: string,
): Record<string, unknown> {
  const mine = KEYWORDS[type] ?? [];
  const others = Object.values(KEYWORDS).flat();
  for (const key of Object.keys(node)) {
    if (key === "type" || mine.includes(key) || (others.includes(key) && !mine.includes(key)))
      continue;
    fail(at, `uses "${key}", which llama.cpp's grammar converter does not enforce`);
  }
  const out: Record<string, unknown> = { type };
  for (const key of mine) if (key in node) out[key] = node[key];
  if (type === "string" && "format" in out) {
    if (!FORMATS.has(out.format as string)) {
      fail(
        `${at}/format`,
        `is "${String(out.format)}"; the grammar converter writes only date-time, date and time`,
      );
    }
    if ("minLength" in out || "maxLength" in out) fail(at, "has a format and a length together");
  }
  if (type === "object") {
    const props = out.properties;
    if (props !== undefined) {
      if (!isRecord(props)) fail(`${at}/properties`, "is not an object");
      out.properties = Object.fromEntries(
        Object.entries(props).map(([k, v]) => [k, convert(v, `${at}/properties/${k}`)]),
      );
    }
    const extra = out.additionalProperties;
    if (isRecord(extra)) out.additionalProperties = convert(extra, `${at}/additionalProperties`);
    else if (extra === undefined && props === undefined) out.additionalProperties = true;
    const required = out.required;
    if (required !== undefined && !Array.isArray(required)) fail(`${at}/required`, "is not a list");
    const listed = isRecord(props) ? Object.keys(props) : [];
    const unlisted = ((required as unknown[]) ?? []).filter((k) => !listed.includes(String(k)));
    if (unlisted.length > 0) {
      fail(`${at}/required`, `names ${unlisted.join(", ")}, not among its properties`);
    }
  }
  if (type === "array") {
    if (out.items !== undefined) out.items = convert(out.items, `${at}/items`);
    if (out.prefixItems !== undefined) {
      if (!Array.isArray(out.prefixItems)) fail(`${at}/prefixItems`, "is not a list");
      out.prefixItems = out.prefixItems.map((s, i) => convert(s, `${at}/prefixItems/${i}`));
    }
  }
  return out;
}

function convertDefs(defs: unknown, at: string): Record<string, unknown> {
  if (!isRecord(defs)) fail(at, "is not an object");
  return Object.fromEntries(Object.entries(defs).map(([k, v]) => [k, convert(v, `${at}/${k}`)]));
}

function only(node: Record<string, unknown>, allowed: readonly string[], at: string): void {
  const extra = Object.keys(node).filter((k) => !allowed.includes(k));
  if (extra.length > 0) {
    fail(
      at,
      `uses ${extra.map((k) => `"${k}"`).join(", ")} beside ${allowed[0] ?? "no type"}, which the grammar converter does not combine`,
    );
  }
}

function isScalar(v: unknown): v is string | number | boolean | null {
  return v === null || ["string", "number", "boolean"].includes(typeof v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
