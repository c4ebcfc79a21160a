/**
 * What a policy decides about one text, given the moderation model's scores and the personal data
 * found in it (both computed by the caller, so this stays pure): the rules that fire, and whether
 * the text passes, is redacted, or is blocked. In `flag_only` mode the text is never changed.
 */
import type {
  CategoryScores,
  ModerationCategory,
  PolicyChecks,
  PolicyDecision,
  PolicyInput,
  RuleHit,
} from "../../../protocol/moderation.ts";
import { checkRules, type Match, PatternMatcher, TermMatcher } from "./policy-match.ts";
import { type PiiFinding, Placeholders, redactRange } from "./policy-pii.ts";

export type Stage = PolicyDecision["stage"];

/** A policy in force on a request: a stored one (with its id) or one given inline (id null). */
export type ActivePolicy = PolicyInput & { id: string | null };

/** Where a rule matched in the text (none for categories, which score the whole text). */
export interface Span {
  start: number;
  end: number;
  kind: "term" | "pattern" | "personal_data";
  /** The placeholder's type for personal data ("EMAIL"). */
  rule: string;
}

export interface Evidence {
  /** The moderation model's scores of the text; needed when the side checks categories. */
  scores?: CategoryScores | null | undefined;
  /** The personal data in the text; needed when the side acts on personal data. */
  pii?: readonly PiiFinding[] | undefined;
}

export interface Check {
  decision: PolicyDecision;
  spans: Span[];
}

interface Side {
  checks: PolicyChecks;
  terms: TermMatcher;
  patterns: PatternMatcher;
}

/** A policy with its terms and patterns compiled once (a stream checks them many times). */
export class CompiledPolicy {
  readonly #sides: Record<Stage, Side>;

  /** Refuses (400, naming the field under `prefix`) a pattern that does not compile or a blank term. */
  constructor(
    readonly policy: ActivePolicy,
    prefix = "",
  ) {
    const side = (stage: Stage): Side => {
      const checks = policy[stage];
      checkRules(checks, prefix ? `${prefix}.${stage}` : stage);
      return {
        checks,
        terms: new TermMatcher(checks.blocked_terms),
        patterns: new PatternMatcher(checks.patterns),
      };
    };
    this.#sides = { input: side("input"), output: side("output") };
  }

  get name(): string {
    return this.policy.name;
  }

  /** Whether this side checks any category (so the text must be scored by the moderation model). */
  needsScores(stage: Stage): boolean {
    return Object.keys(this.#sides[stage].checks.categories).length > 0;
  }

  /** Whether this side acts on personal data (so the text must be searched for it). */
  needsPii(stage: Stage): boolean {
    return this.#sides[stage].checks.personal_data !== "allow";
  }

  /** Whether this side checks anything at all. */
  active(stage: Stage): boolean {
    const { checks } = this.#sides[stage];
    return (
      this.needsScores(stage) ||
      this.needsPii(stage) ||
      checks.blocked_terms.length > 0 ||
      checks.patterns.length > 0
    );
  }

  /**
   * The decision on `text` as this side of the policy sees it. Placeholders come from `names` when
   * given (shared by the texts of one request), else from a fresh set.
   */
  check(stage: Stage, text: string, ev: Evidence = {}, names = new Placeholders()): Check {
    const side = this.#sides[stage];
    const { checks } = side;
    const hits: RuleHit[] = [];
    const spans: Span[] = [];
    for (const [category, threshold] of Object.entries(checks.categories)) {
      if (threshold === undefined) continue;
      if (!ev.scores) throw new Error(`policy ${this.name}: ${stage} text needs scores`);
      const score = ev.scores[category as ModerationCategory];
      if (score >= threshold) hits.push({ kind: "category", rule: category, score, threshold });
    }
    const rules = (kind: "term" | "pattern", found: Match[]) => {
      const seen = new Set<string>();
      for (const m of found) {
        spans.push({ start: m.start, end: m.end, kind, rule: m.rule });
        if (!seen.has(m.rule)) hits.push({ kind, rule: m.rule });
        seen.add(m.rule);
      }
    };
    rules("term", side.terms.find(text));
    rules("pattern", side.patterns.find(text));
    const pii = checks.personal_data === "allow" ? [] : (ev.pii ?? []);
    for (const type of new Set(pii.map((f) => f.type)))
      hits.push({ kind: "personal_data", rule: type });
    for (const f of pii)
      spans.push({ start: f.start, end: f.end, kind: "personal_data", rule: f.type });
    spans.sort((a, b) => a.start - b.start);

    const decision = (action: PolicyDecision["action"], out: string): Check => ({
      decision: { stage, action, hits, text: out },
      spans,
    });
    if (hits.length === 0) return decision("allowed", text);
    if (this.policy.mode === "flag_only") return decision("flagged", text);
    const onlyPii = hits.every((h) => h.kind === "personal_data");
    if (onlyPii && checks.personal_data === "redact") {
      return decision("redacted", redactRange(text, pii, names));
    }
    return decision("blocked", this.policy.refusal);
  }
}
