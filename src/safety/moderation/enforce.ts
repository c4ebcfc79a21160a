/**
 * Moderation policies on a chat completion. Every policy that applies is enforced, in this order:
 * those attached to the model, those attached to the caller's key, then the one the request names or
 * gives (`tailor.moderation`); a request can add checks but never drop its model's or its key's.
 * On a side, the first policy (in that order) that blocks gives the refusal; personal data that any
 * enforcing policy redacts is redacted; `flag_only` policies only log. Each policy whose checks fire
 * logs a flag.
 */
import type { ChatMessage } from "../../../protocol/index.ts";
import type {
  CategoryScores,
  InlinePolicyInput,
  ModerationFlag,
  Policy,
} from "../../../protocol/moderation.ts";
import { TailorError } from "../../errors/index.ts";
import type { NameFinder } from "../names.ts";
import { type FlagStore, flagOf } from "./flags.ts";
import { type Check, CompiledPolicy, type Evidence, type Stage } from "./policy-eval.ts";
import { findPersonalData, type PiiFinding, Placeholders, redactRange } from "./policy-pii.ts";
import type { PolicyStore } from "./policy-store.ts";
import type { Moderator } from "./port.ts";

export interface ModerationDeps {
  policies: PolicyStore;
  flags: FlagStore;
  /** Scores categories; needed only by policies that check some. */
  moderator?: Moderator | undefined;
  /** Finds people's names for the personal-data checks (the server gives the engine's). */
  names?: NameFinder | undefined;
  /** Told of every flag logged (the server puts blocks in the audit log). */
  onFlag?: ((flag: ModerationFlag) => void) | undefined;
}

/** Who asked what: the flags name it. */
export interface ModeratedRequest {
  model: string;
  keyId: string | null;
  owner: string | null;
  /** The chat completion's id. */
  requestId: string;
}

/** What every policy made of one text. */
export interface Verdict {
  /** The refusal of the first policy that blocked, or null. */
  refusal: string | null;
  /** The text to pass on (the refusal when blocked, redacted when some policy redacted). */
  text: string;
  checks: { policy: CompiledPolicy; check: Check }[];
}

/** A choice of the engine's answer; `content_filter` when a policy blocked it. */
export interface ModeratedChoice {
  index: number;
  text: string;
  tool_calls?: { name: string; arguments: string }[] | undefined;
  finish_reason: string;
}

/**
 * The policies a request is under, or null when none applies. `requested` is `tailor.moderation`:
 * a stored policy's name or id, or a policy given inline.
 */
export function moderationFor(
  deps: ModerationDeps,
  request: ModeratedRequest,
  requested?: string | InlinePolicyInput | undefined,
): ChatModeration | null {
  const stored: Policy[] = deps.policies.forRequest(request.model, request.keyId);
  if (typeof requested === "string") {
    const named = deps.policies.find(requested);
    if (!named) {
      throw new TailorError({
        code: "invalid_argument",
        message: `tailor.moderation: no moderation policy "${requested}" (GET /v1/moderation/policies lists them)`,
        details: { field: "tailor.moderation" },
      });
    }
    if (!stored.some((p) => p.id === named.id)) stored.push(named);
  }
  const compiled = stored.map((p) => new CompiledPolicy(p));
  if (requested !== undefined && typeof requested !== "string") {
    compiled.push(new CompiledPolicy({ ...requested, id: null }, "tailor.moderation"));
  }
  if (compiled.length === 0) return null;
  const scoring = compiled.find((p) => p.needsScores("input") || p.needsScores("output"));
  if (scoring && !deps.moderator) {
    throw new TailorError({
      code: "invalid_argument",
      message: `moderation policy "${scoring.name}" checks categories, but no moderation model is available here`,
      details: { field: "tailor.moderation" },
    });
  }
  return new ChatModeration(deps, request, compiled);
}

export class ChatModeration {
  constructor(
    private readonly deps: ModerationDeps,
    readonly request: ModeratedRequest,
    readonly policies: readonly CompiledPolicy[],
  ) {}

  /** Placeholders shared by every text of the request (an address keeps its placeholder). */
  readonly names = new Placeholders();

  active(stage: Stage): boolean {
    return this.policies.some((p) => p.active(stage));
  }

  needsScores(stage: Stage): boolean {
    return this.policies.some((p) => p.needsScores(stage));
  }

  needsPii(stage: Stage): boolean {
    return this.policies.some((p) => p.needsPii(stage));
  }

  /** The moderation model's scores and the personal data of each text, as far as some policy needs them. */
  async evidence(stage: Stage, texts: string[], signal?: AbortSignal): Promise<Evidence[]> {
    const moderator = this.deps.moderator;
    const scores: (CategoryScores | null)[] =
      this.needsScores(stage) && moderator && texts.length
        ? (await moderator.moderate(texts, signal ? { signal } : {})).map((r) => r.category_scores)
        : texts.map(() => null);
    const pii: PiiFinding[][] = this.needsPii(stage)
      ? await findPersonalData(texts, this.deps.names ?? null, signal)
      : texts.map(() => []);
    return texts.map((_, i) => ({ scores: scores[i] ?? null, pii: pii[i] ?? [] }));
  }

  /** What every policy makes of `text` (nothing logged). */
  judge(stage: Stage, text: string, ev: Evidence): Verdict {
    const checks = this.policies
      .filter((p) => p.active(stage))
      .map((policy) => ({ policy, check: policy.check(stage, text, ev, this.names) }));
    const blocker = checks.find((c) => c.check.decision.action === "blocked");
    if (blocker)
      return { refusal: blocker.policy.policy.refusal, text: blocker.check.decision.text, checks };
    const redacts = checks.some((c) => c.check.decision.action === "redacted");
    return {
      refusal: null,
      text: redacts ? redactRange(text, ev.pii ?? [], this.names) : text,
      checks,
    };
  }

  /** Logs a flag for each policy whose checks fired on `text`. */
  log(stage: Stage, text: string, verdict: Verdict): ModerationFlag[] {
    const out: ModerationFlag[] = [];
    for (const { policy, check } of verdict.checks) {
      if (check.decision.action === "allowed") continue;
      const flag = this.deps.flags.record({
        policy_id: policy.policy.id,
        policy_name: policy.name,
        model: this.request.model,
        key_id: this.request.keyId,
        owner: this.request.owner,
        request_id: this.request.requestId,
        ...flagOf({ ...check.decision, stage }, text, check.spans, policy.policy.log_text),
      });
      this.deps.onFlag?.(flag);
      out.push(flag);
    }
    return out;
  }

  /** Judges and logs each text of one side. */
  async decide(stage: Stage, texts: string[], signal?: AbortSignal): Promise<Verdict[]> {
    const evidence = await this.evidence(stage, texts, signal);
    return texts.map((text, i) => {
      const verdict = this.judge(stage, text, evidence[i] ?? {});
      this.log(stage, text, verdict);
      return verdict;
    });
  }

  /**
   * The user's messages checked (every one: a client resends the conversation, and could change
   * it). Blocked: the refusal to answer with, and the model is not called. Otherwise the messages to
   * generate from, personal data redacted where a policy says so.
   */
  async checkInput(
    messages: ChatMessage[],
    signal?: AbortSignal,
  ): Promise<{ refusal: string | null; messages: ChatMessage[] }> {
    if (!this.active("input")) return { refusal: null, messages };
    const at = messages.flatMap((m, i) => (m.role === "user" ? [i] : []));
    const verdicts = await this.decide(
      "input",
      at.map((i) => messages[i]?.content ?? ""),
      signal,
    );
    const blocked = verdicts.find((v) => v.refusal !== null);
    if (blocked) return { refusal: blocked.refusal, messages };
    const out = [...messages];
    at.forEach((i, k) => {
      const m = out[i];
      const v = verdicts[k];
      if (m && v) out[i] = { ...m, content: v.text };
    });
    return { refusal: null, messages: out };
  }

  /**
   * A complete choice checked: its text and its calls' arguments. Blocked: the refusal alone, no
   * calls, finish_reason `content_filter`; redacted: placeholders in the text and arguments.
   */
  async checkChoice<C extends ModeratedChoice>(choice: C, signal?: AbortSignal): Promise<C> {
    if (!this.active("output")) return choice;
    const calls = choice.tool_calls ?? [];
    const texts = [choice.text, ...calls.map((c) => c.arguments)];
    const verdicts = await this.decide("output", texts, signal);
    const blocked = verdicts.find((v) => v.refusal !== null);
    if (blocked) {
      const { tool_calls: _, ...rest } = choice;
      return { ...rest, text: blocked.refusal ?? "", finish_reason: "content_filter" } as C;
    }
    return {
      ...choice,
      text: verdicts[0]?.text ?? choice.text,
      ...(choice.tool_calls
        ? {
            tool_calls: calls.map((c, k) => ({
              ...c,
              arguments: verdicts[k + 1]?.text ?? c.arguments,
            })),
          }
        : {}),
    };
  }
}
