/**
 * Moderation: OpenAI's categories and result shape (`POST /v1/moderations`), and Tailor's policies
 * (what to check on a model's input and output, and what to do when a check fires) with the flags
 * they log. The API bodies live in protocol/api/moderations.ts; the checks in src/safety/moderation.
 */
import { z } from "@hono/zod-openapi";

/** OpenAI's moderation categories, in OpenAI's order and spelling. */
export const MODERATION_CATEGORIES = [
  "harassment",
  "harassment/threatening",
  "hate",
  "hate/threatening",
  "illicit",
  "illicit/violent",
  "self-harm",
  "self-harm/intent",
  "self-harm/instructions",
  "sexual",
  "sexual/minors",
  "violence",
  "violence/graphic",
] as const;
export type ModerationCategory = (typeof MODERATION_CATEGORIES)[number];
export const ModerationCategory = z.enum(MODERATION_CATEGORIES);

/** The six groups a category belongs to (its name before the slash): precision/recall are reported per group. */
export const MODERATION_GROUPS = [
  "harassment",
  "hate",
  "illicit",
  "self-harm",
  "sexual",
  "violence",
] as const;
export type ModerationGroup = (typeof MODERATION_GROUPS)[number];
export const groupOf = (c: ModerationCategory): ModerationGroup =>
  c.split("/")[0] as ModerationGroup;

const perCategory = <T extends z.ZodType>(value: T) =>
  z.object(
    Object.fromEntries(MODERATION_CATEGORIES.map((c) => [c, value])) as Record<
      ModerationCategory,
      T
    >,
  );

/** Every category's score, 0 to 1. */
export const CategoryScores = perCategory(z.number());
export type CategoryScores = z.infer<typeof CategoryScores>;
/** Every category, whether it is flagged. */
export const CategoryFlags = perCategory(z.boolean());
export type CategoryFlags = z.infer<typeof CategoryFlags>;

/** One text's moderation, as OpenAI's `results[]` item. */
export const ModerationResult = z
  .object({
    flagged: z.boolean(),
    categories: CategoryFlags,
    category_scores: CategoryScores,
  })
  .openapi("ModerationResult");
export type ModerationResult = z.infer<typeof ModerationResult>;

// --- policies ------------------------------------------------------------------------------------

/** What is done with personal data found (src/safety's PII kinds) in the checked text. */
export const PERSONAL_DATA_ACTIONS = ["allow", "redact", "block"] as const;
export const PersonalDataAction = z.enum(PERSONAL_DATA_ACTIONS);

/** The checks on one side of a model (what it is asked, or what it answers). */
export const PolicyChecks = z.object({
  /** Categories checked, each with the score (0-1) at which it fires; absent categories are not checked. */
  categories: z.partialRecord(ModerationCategory, z.number().min(0).max(1)).default({}),
  /** Words or phrases that fire when they appear as whole words (case-insensitive). */
  blocked_terms: z.array(z.string().min(1).max(200)).max(1000).default([]),
  /**
   * Regular expressions in RE2 syntax (as Go's: no backreferences or lookaround), matched
   * case-insensitively in linear time, so that no pattern can hang the server.
   */
  patterns: z.array(z.string().min(1).max(500)).max(200).default([]),
  personal_data: PersonalDataAction.default("allow"),
});
export type PolicyChecks = z.infer<typeof PolicyChecks>;

/**
 * `enforce`: blocked input never reaches the model and blocked output is replaced by the refusal;
 * `flag_only`: nothing is blocked or changed, every check that fires is logged.
 */
export const POLICY_MODES = ["enforce", "flag_only"] as const;
export const PolicyMode = z.enum(POLICY_MODES);

/** A policy as given when creating or changing one (and inline per request as `tailor.moderation`). */
export const PolicyInput = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "lower-case letters, digits, '.', '_' or '-'"),
    description: z.string().max(2000).default(""),
    mode: PolicyMode.default("enforce"),
    input: PolicyChecks.default({
      categories: {},
      blocked_terms: [],
      patterns: [],
      personal_data: "allow",
    }),
    output: PolicyChecks.default({
      categories: {},
      blocked_terms: [],
      patterns: [],
      personal_data: "allow",
    }),
    /** What the user sees instead of blocked input's answer or blocked output. */
    refusal: z.string().min(1).max(2000).default("Sorry, I can't help with that."),
    /** Keep the full checked text with each flag (off: only which rule fired and a masked excerpt). */
    log_text: z.boolean().default(false),
  })
  .openapi("ModerationPolicyInput");
export type PolicyInput = z.infer<typeof PolicyInput>;

/** A policy given inline, per request or to try: its name is optional ("request" when absent). */
export const InlinePolicyInput = PolicyInput.extend({
  name: PolicyInput.shape.name.default("request"),
}).openapi("ModerationInlinePolicy");
export type InlinePolicyInput = z.infer<typeof InlinePolicyInput>;

/** A stored policy, with what it is attached to (checked on every request to these). */
export const Policy = PolicyInput.extend({
  object: z.literal("tailor.moderation_policy"),
  id: z.string(),
  created_at: z.number().int(),
  updated_at: z.number().int(),
  attached: z.object({
    /** Model names (base or fine-tuned) whose every chat completion is checked. */
    models: z.array(z.string()),
    /** API key ids whose every chat completion is checked. */
    keys: z.array(z.string()),
  }),
}).openapi("ModerationPolicy");
export type Policy = z.infer<typeof Policy>;

export const STAGES = ["input", "output"] as const;
export const Stage = z.enum(STAGES);

/** Why a check fired. */
export const RuleHit = z.object({
  kind: z.enum(["category", "term", "pattern", "personal_data"]),
  /** The category, the term, the pattern, or the kind of personal data (e.g. "EMAIL"). */
  rule: z.string(),
  /** Categories: the score and the policy's threshold. */
  score: z.number().optional(),
  threshold: z.number().optional(),
});
export type RuleHit = z.infer<typeof RuleHit>;

/** What a policy did to one text. */
export const ACTIONS = ["allowed", "flagged", "redacted", "blocked"] as const;
export const PolicyDecision = z.object({
  stage: Stage,
  action: z.enum(ACTIONS),
  hits: z.array(RuleHit),
  /** The text to pass on: the original, the redacted one, or the refusal when blocked. */
  text: z.string(),
});
export type PolicyDecision = z.infer<typeof PolicyDecision>;

/** One logged flag (every check that fired on a request). */
export const ModerationFlag = z
  .object({
    object: z.literal("tailor.moderation_flag"),
    id: z.string(),
    created_at: z.number().int(),
    policy_id: z.string().nullable(),
    policy_name: z.string(),
    stage: Stage,
    action: z.enum(ACTIONS),
    hits: z.array(RuleHit),
    model: z.string().nullable(),
    /** The caller's key id (null: the local user). */
    key_id: z.string().nullable(),
    /** The chat completion's id. */
    request_id: z.string().nullable(),
    /** A short excerpt with the offending words masked. */
    excerpt: z.string(),
    /** The full text, only when the policy's `log_text` is on. */
    text: z.string().nullable(),
  })
  .openapi("ModerationFlag");
export type ModerationFlag = z.infer<typeof ModerationFlag>;
