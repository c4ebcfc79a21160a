/**
 * JSON Schema compilation with Ajv: one validator per distinct schema text, cached. Draft 2020-12
 * is the default (what OpenAI's documentation and Pydantic's `$defs` use); a schema whose `$schema`
 * names draft-07 (zod-to-json-schema's default) or 2019-09 is compiled as that draft.
 */
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv/dist/ajv.js";

/** Unknown keywords (`x-…`, `strict`) are allowed and formats are not checked (no format plugin). */
const OPTIONS = { strict: false, validateFormats: false, logger: false, allErrors: false } as const;

type AjvLike = Ajv | Ajv2019 | Ajv2020;
const drafts: { match: RegExp; make: () => AjvLike }[] = [
  {
    match: /^https?:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/,
    make: () => new Ajv2020(OPTIONS),
  },
  {
    match: /^https?:\/\/json-schema\.org\/draft\/2019-09\/schema#?$/,
    make: () => new Ajv2019(OPTIONS),
  },
  { match: /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/, make: () => new Ajv(OPTIONS) },
];
const instances = new Map<number, AjvLike>();
const ajvFor = (i: number): AjvLike => {
  let a = instances.get(i);
  if (!a) {
    a = (drafts[i] ?? drafts[0])?.make() as AjvLike;
    instances.set(i, a);
  }
  return a;
};

export type Compiled =
  | { ok: true; validate: ValidateFunction }
  /** `path`: where in the schema (dotted, e.g. `properties.date.type`), "" for the whole. */
  | { ok: false; path: string; message: string };

const MAX_CACHED = 1000;
const cache = new Map<string, Compiled>();

/** A schema compiled (cached by its JSON text), or what is wrong with it as Ajv says. */
export function compileSchema(schema: Record<string, unknown>): Compiled {
  const key = JSON.stringify(schema);
  const hit = cache.get(key);
  if (hit) return hit;
  const compiled = compileNew(schema);
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
  cache.set(key, compiled);
  return compiled;
}

function compileNew(schema: Record<string, unknown>): Compiled {
  const declared = schema.$schema;
  let draft = 0;
  if (declared !== undefined) {
    draft = drafts.findIndex((d) => typeof declared === "string" && d.match.test(declared));
    if (draft < 0)
      return {
        ok: false,
        path: "$schema",
        message: `${JSON.stringify(declared)} is not a JSON Schema version Tailor knows; use draft 2020-12 or draft-07, or leave $schema out`,
      };
  }
  const ajv = ajvFor(draft);
  if (!ajv.validateSchema(schema)) {
    const first = ajv.errors?.[0];
    return {
      ok: false,
      path: first ? pointerToPath(first.instancePath) : "",
      message: `is not a valid JSON Schema: ${first ? describe(first) : ajv.errorsText()}`,
    };
  }
  try {
    const validate = ajv.compile(schema);
    return { ok: true, validate };
  } catch (e) {
    return { ok: false, path: "", message: `is not a usable JSON Schema: ${(e as Error).message}` };
  } finally {
    // the validator keeps working; Ajv forgets the schema (memory, and `$id`s that repeat)
    ajv.removeSchema(schema);
  }
}

/** `/properties/order~1id/0` -> `properties["order/id"][0]`-like dotted text for messages. */
export function pointerToPath(pointer: string): string {
  if (!pointer) return "";
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) =>
      /^\d+$/.test(s)
        ? `[${s}]`
        : /^[A-Za-z_$][\w$-]*$/.test(s)
          ? `.${s}`
          : `[${JSON.stringify(s)}]`,
    )
    .join("")
    .replace(/^\./, "");
}

/** Ajv's message with the detail its params carry (the allowed values, the extra property). */
export function describe(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  let detail = "";
  if (Array.isArray(p.allowedValues))
    detail = `: ${p.allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
  else if (e.keyword === "const") detail = `: ${JSON.stringify(p.allowedValue)}`;
  else if (typeof p.additionalProperty === "string")
    detail = ` (${JSON.stringify(p.additionalProperty)})`;
  return `${e.message ?? "is invalid"}${detail}`;
}
