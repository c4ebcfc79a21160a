/**
 * A policy's own rules as matchers: blocked terms (whole words, case-insensitive, any run of spaces
 * between a phrase's words) and patterns (RE2 syntax, case-insensitive, linear time: a pattern
 * given per request by any caller cannot hang the server). Both are checked when a policy is saved
 * or given, and a bad one is refused naming its field (`input.patterns[2]`).
 */
import { RE2JS } from "re2js";
import type { PolicyChecks } from "../../../protocol/moderation.ts";
import { TailorError } from "../../errors/index.ts";

/** Where a rule matched: UTF-16 offsets in the checked text, end exclusive. */
export interface Match {
  start: number;
  end: number;
  /** The term or the pattern as the policy wrote it. */
  rule: string;
}

const WORD = "[\\p{L}\\p{N}_]";
const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
const normal = (s: string) => s.trim().replace(/\s+/g, " ").toLowerCase();

/** Every blocked term in one regular expression; each match is named by the term it is. */
export class TermMatcher {
  readonly #re: RegExp | null;
  readonly #terms = new Map<string, string>();

  constructor(terms: readonly string[]) {
    for (const t of terms) if (normal(t)) this.#terms.set(normal(t), t);
    // longest first: "credit card number" is reported rather than "credit card"
    const alts = [...this.#terms.keys()]
      .sort((a, b) => b.length - a.length)
      .map((t) => t.split(" ").map(literal).join("\\s+"));
    this.#re = alts.length
      ? new RegExp(`(?<!${WORD})(?:${alts.join("|")})(?!${WORD})`, "giu")
      : null;
  }

  find(text: string): Match[] {
    if (!this.#re) return [];
    const out: Match[] = [];
    for (const m of text.matchAll(this.#re)) {
      const rule = this.#terms.get(normal(m[0])) ?? this.#ruleOf(m[0]);
      out.push({ start: m.index, end: m.index + m[0].length, rule });
    }
    return out;
  }

  /** A match whose lower case differs from its term's (a letter with a special case fold). */
  #ruleOf(found: string): string {
    for (const [key, term] of this.#terms) {
      if (new RegExp(`^${key.split(" ").map(literal).join("\\s+")}$`, "iu").test(found))
        return term;
    }
    return found;
  }
}

/** The policy's patterns, compiled once. */
export class PatternMatcher {
  readonly #patterns: { rule: string; re: RE2JS }[];

  constructor(patterns: readonly string[]) {
    this.#patterns = patterns.map((rule) => ({ rule, re: compile(rule) }));
  }

  find(text: string): Match[] {
    const out: Match[] = [];
    for (const { rule, re } of this.#patterns) {
      const m = re.matcher(text);
      let from = 0;
      while (from <= text.length && m.find(from)) {
        const start = m.start();
        const end = m.end();
        out.push({ start, end, rule });
        from = end > start ? end : end + 1;
      }
    }
    return out;
  }
}

function compile(pattern: string): RE2JS {
  return RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE);
}

/**
 * Refuses a side of a policy whose patterns do not compile or whose terms are blank, naming the
 * field under `prefix` (`input`, `tailor.moderation.output`).
 */
export function checkRules(checks: PolicyChecks, prefix: string): void {
  checks.blocked_terms.forEach((t, i) => {
    if (!normal(t)) {
      throw invalid(`${prefix}.blocked_terms[${i}]`, "is blank; give a word or a phrase");
    }
  });
  checks.patterns.forEach((p, i) => {
    try {
      compile(p);
    } catch (e) {
      const why = (e as Error).message.replace(/^error parsing regexp: /, "").replace("`(?i)", "`");
      throw invalid(
        `${prefix}.patterns[${i}]`,
        `is not a valid pattern (${why}); patterns use RE2 syntax, without backreferences or lookaround`,
      );
    }
  });
}

const invalid = (field: string, message: string) =>
  new TailorError({
    code: "invalid_argument",
    message: `${field}: ${message}`,
    details: { field },
  });
