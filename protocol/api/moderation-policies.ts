/**
 * Tailor: `/v1/moderation/policies` (named checks on a model's input and output, attached to models
 * and keys), trying a policy on a sample text, and `/v1/moderation/flags` (what the checks caught).
 * The objects themselves are in protocol/moderation.ts.
 */
import { z } from "@hono/zod-openapi";
import {
  CategoryScores,
  InlinePolicyInput,
  ModerationFlag,
  Policy,
  PolicyDecision,
  PolicyInput,
  Stage,
} from "../moderation.ts";
import { listOf } from "./shared.ts";

/** What a policy is attached to: every chat completion with these models or keys is checked. */
export const PolicyAttachments = z
  .object({
    models: z.array(z.string().min(1)).max(1000).optional(),
    keys: z.array(z.string().min(1)).max(1000).optional(),
  })
  .openapi("ModerationPolicyAttachments");
export type PolicyAttachments = z.infer<typeof PolicyAttachments>;

export const CreatePolicyRequest = PolicyInput.extend({
  attached: PolicyAttachments.optional(),
}).openapi("CreateModerationPolicyRequest");

/** Any of a policy's fields; `input` and `output` replace that side whole; `attached` replaces the lists it gives. */
export const UpdatePolicyRequest = z
  .object({
    name: PolicyInput.shape.name.optional(),
    description: z.string().max(2000).optional(),
    mode: PolicyInput.shape.mode.unwrap().optional(),
    input: PolicyInput.shape.input.unwrap().optional(),
    output: PolicyInput.shape.output.unwrap().optional(),
    refusal: z.string().min(1).max(2000).optional(),
    log_text: z.boolean().optional(),
    attached: PolicyAttachments.optional(),
  })
  .openapi("UpdateModerationPolicyRequest");
export type UpdatePolicyRequest = z.infer<typeof UpdatePolicyRequest>;

export const PolicyList = listOf(Policy).openapi("ModerationPolicyList");

export const PolicyDeleted = z
  .object({
    id: z.string(),
    object: z.literal("tailor.moderation_policy.deleted"),
    deleted: z.literal(true),
  })
  .openapi("ModerationPolicyDeleted");

/** Which side(s) of a model a try checks the text as. */
export const TryStage = z.enum(["input", "output", "both"]);

export const TryPolicyRequest = z
  .object({
    text: z.string().min(1).max(100_000),
    stage: TryStage.default("both"),
  })
  .openapi("TryModerationPolicyRequest");

export const TryInlinePolicyRequest = TryPolicyRequest.extend({
  policy: InlinePolicyInput,
}).openapi("TryInlineModerationPolicyRequest");

export const TryResult = z
  .object({
    object: z.literal("tailor.moderation_try"),
    policy: z.string(),
    mode: PolicyInput.shape.mode.unwrap(),
    /** The moderation model that scored the text; null when the policy checks no category. */
    moderation_model: z.string().nullable(),
    /** Every category's score; null when the policy checks no category. */
    scores: CategoryScores.nullable(),
    decisions: z.array(PolicyDecision),
  })
  .openapi("ModerationTryResult");
export type TryResult = z.infer<typeof TryResult>;

export const FlagQuery = z.object({
  policy: z.string().optional().openapi({ description: "a policy's id or name" }),
  model: z.string().optional(),
  stage: Stage.optional(),
  action: z.enum(["flagged", "redacted", "blocked"]).optional(),
  after: z.string().optional().openapi({ description: "a flag's id: only older flags" }),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
export type FlagQuery = z.infer<typeof FlagQuery>;

export const FlagList = listOf(ModerationFlag).openapi("ModerationFlagList");
