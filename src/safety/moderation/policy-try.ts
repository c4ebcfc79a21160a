/**
 * Trying a policy on a sample text, as the studio's editor and `tailor policies try` do: what each
 * side would decide, with the moderation model's scores when the policy checks categories. Nothing
 * is logged.
 */
import type { TryResult } from "../../../protocol/api/moderation-policies.ts";
import type { PolicyDecision } from "../../../protocol/moderation.ts";
import { TailorError } from "../../errors/index.ts";
import type { NameFinder } from "../names.ts";
import { type ActivePolicy, CompiledPolicy, type Stage } from "./policy-eval.ts";
import { findPersonalData, Placeholders } from "./policy-pii.ts";
import type { Moderator } from "./port.ts";

export async function tryPolicy(
  policy: ActivePolicy,
  text: string,
  stage: Stage | "both",
  opts: {
    moderator?: Moderator | undefined;
    /** Finds people's names for the personal-data checks (the server and the CLI give the engine's). */
    names?: NameFinder | undefined;
    signal?: AbortSignal | undefined;
    prefix?: string;
  } = {},
): Promise<TryResult> {
  const compiled = new CompiledPolicy(policy, opts.prefix ?? "");
  const stages: Stage[] = stage === "both" ? ["input", "output"] : [stage];
  const scoring = stages.some((s) => compiled.needsScores(s));
  if (scoring && !opts.moderator) {
    throw new TailorError({
      code: "invalid_argument",
      message: `policy "${policy.name}" checks categories, but no moderation model is available here`,
    });
  }
  const moderator = scoring ? opts.moderator : undefined;
  const [scored] = moderator
    ? await moderator.moderate([text], opts.signal ? { signal: opts.signal } : {})
    : [];
  const pii = stages.some((s) => compiled.needsPii(s))
    ? (await findPersonalData([text], opts.names ?? null, opts.signal))[0]
    : [];
  const decisions: PolicyDecision[] = stages.map(
    (s) =>
      compiled.check(s, text, { scores: scored?.category_scores ?? null, pii }, new Placeholders())
        .decision,
  );
  return {
    object: "tailor.moderation_try",
    policy: policy.name,
    mode: policy.mode,
    moderation_model: moderator ? moderator.model : null,
    scores: scored?.category_scores ?? null,
    decisions,
  };
}
