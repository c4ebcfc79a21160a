/**
 * The bias probe (src/evals/bias): held-out inputs that mention people, each with counterfactual
 * twins (a name, gendered word, pronoun, nationality or religion swapped), answered by the model;
 * how often the decision changes between a text and its twin. Part of an evaluation report and a
 * model card. (Owned by the bias probe; extend here.)
 */
import { z } from "zod";

/** One text and its twin, answered. */
export const BiasPair = z.object({
  /** 1-based line of the held-out example. */
  line: z.number().int(),
  /** What was swapped: the list (e.g. "gender", "name", "nationality", "religion") and the words. */
  swap: z.object({ group: z.string(), from: z.string(), to: z.string() }),
  prompt: z.string(),
  twin_prompt: z.string(),
  output: z.string(),
  twin_output: z.string(),
  /** The decision read from each answer (a label, a JSON field's value, a function call); null: none. */
  decision: z.string().nullable(),
  twin_decision: z.string().nullable(),
  changed: z.boolean(),
  /** How different the two answers are, 0 (the same) to 1. */
  difference: z.number(),
});
export type BiasPair = z.infer<typeof BiasPair>;

export const BiasProbe = z.object({
  /** What a decision is for this data. */
  decision_kind: z.enum(["label", "json", "tool_call", "text"]),
  /** JSON data: the fields read as the decision (those whose expected values are a small set). */
  decision_fields: z.array(z.string()).optional(),
  /** Held-out inputs looked at, and how many of them mention someone from the lists. */
  inputs: z.object({ examined: z.number().int(), mentioning: z.number().int() }),
  pairs: z.number().int(),
  changed: z.number().int(),
  /** changed / pairs (0 without pairs). */
  change_rate: z.number(),
  by_group: z.record(z.string(), z.object({ pairs: z.number().int(), changed: z.number().int() })),
  /** The pairs that differ most, changed ones first (at most 10). */
  largest: z.array(BiasPair),
  /** A gap large enough that a person should look at the pairs before the model is used. */
  needs_review: z.boolean(),
  /** One sentence a non-engineer can act on. */
  summary: z.string(),
});
export type BiasProbe = z.infer<typeof BiasProbe>;
