/**
 * Names in text (serve's `find_names` operation): people, and places and organisations when asked,
 * found by the engine's named-entity model (spaCy's en_core_web_sm). The fast checks for structured
 * personal data (e-mails, phones, cards, IDs, secrets) stay in TypeScript: src/safety/pii.ts.
 */
import { z } from "zod";
import { count } from "./basics.ts";

/** What a name names. LOCATION: countries, cities, places, buildings; ORGANIZATION: companies, schools. */
export const NAME_KINDS = ["PERSON", "LOCATION", "ORGANIZATION"] as const;
export const NameKind = z.enum(NAME_KINDS);
export type NameKind = z.infer<typeof NameKind>;

// serve's operation id (requests.ts's opId: repeated here because requests.ts imports this file)
const opId = z.string().min(1);

/**
 * The names in each text. Texts go through the model in batches; a text written with capitals whose
 * only capitalised words are sentence openers is not read by the model (it holds no name it finds).
 */
export const ServeFindNamesOp = z.object({
  op: z.literal("find_names"),
  id: opId,
  input: z.array(z.string()).min(1).max(4096),
  kinds: z.array(NameKind).min(1).default(["PERSON"]),
});

/**
 * One name: `text.slice(start, end)` in JavaScript (UTF-16 code units, end exclusive). A person's
 * span leaves out a title before it ("Dr.") and a possessive after it ("'s").
 */
export const NameSpan = z.object({ kind: NameKind, start: count, end: count });
export type NameSpan = z.infer<typeof NameSpan>;

/** The answer to `find_names`: one list per input text, in input order, each sorted by start. */
export const Names = z.object({
  type: z.literal("names"),
  id: opId,
  results: z.array(z.array(NameSpan)),
});
