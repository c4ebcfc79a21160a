/**
 * A streamed answer checked as it is generated. Each new piece of text is checked at once, up to
 * its last word boundary (a word still being generated is checked when it ends: "refund" may yet
 * become "refunds"); only checked text is passed on, and a short tail is held back while it could
 * still become part of personal data or of a pattern's or a phrase's match. Categories are scored by
 * the moderation model at each sentence end (or every few pieces), and text is passed on only once
 * scored. When a policy blocks, the generation is cut at once (its engine operation cancelled), the
 * held text is dropped, and the choice ends with the refusal and `content_filter`. Calls' arguments
 * are held whole and checked with the complete answer (the result carries them whole).
 */
import type { CategoryScores } from "../../../protocol/moderation.ts";
import type { GenerateEvent } from "../../serving/index.ts";
import type { ChatModeration, Verdict } from "./enforce.ts";
import type { PiiFinding } from "./policy-pii.ts";
import { redactRange } from "./policy-pii.ts";

export type GuardedEvent =
  | GenerateEvent
  /** A choice a policy blocked: send the refusal, and end it with `content_filter`. */
  | { type: "filtered"; index: number; refusal: string };

/** Held back while personal data or a pattern's match could still be growing. */
export const HOLD_CHARS = 32;
/** Categories are scored at a sentence end, or after this many pieces without one. */
export const SCORE_EVERY = 16;
/** Scored again with this much of the text before it, so that a sentence is scored whole. */
const SCORE_CONTEXT = 200;
/** Personal data is searched for from this far before the text not yet passed on. */
const PII_CONTEXT = 64;

interface Lane {
  text: string;
  /** Offset up to which text was passed on. */
  sent: number;
  /** Offset up to which text was checked (a piece inside a word adds nothing to check). */
  checked: number;
  /** Offset up to which categories were scored (and did not fire). */
  scored: number;
  /** Each category's highest score so far. */
  scores: CategoryScores | null;
  unscoredPieces: number;
  /** The offset at which each piece ended (to measure how late a block came). */
  ends: number[];
  blocked: boolean;
}

export interface StreamGuardOptions {
  /** How many choices are generated (one: a block cuts the generation; more: it mutes that choice). */
  choices: number;
  /** Cancels the generation (the engine operation), leaving the response open for the refusal. */
  cut: () => void;
  signal?: AbortSignal | undefined;
}

export class StreamGuard {
  readonly #lanes = new Map<number, Lane>();
  /** Pieces generated after the end of the text that was blocked, before the generation was cut. */
  readonly lateBy: number[] = [];

  readonly #enforcing: boolean;

  constructor(
    private readonly mod: ChatModeration,
    private readonly opts: StreamGuardOptions,
  ) {
    this.#enforcing = mod.policies.some((p) => p.policy.mode === "enforce" && p.active("output"));
  }

  async *run(generation: AsyncIterable<GenerateEvent>): AsyncGenerator<GuardedEvent> {
    for await (const ev of generation) {
      if (ev.type === "delta") {
        const lane = this.#lane(ev.index);
        if (lane.blocked) continue;
        lane.text += ev.text;
        lane.ends.push(lane.text.length);
        lane.unscoredPieces++;
        const step = await this.#step(lane, false);
        if (step.refusal !== null) {
          yield { type: "filtered", index: ev.index, refusal: step.refusal };
          // several choices share one generation and end together in its result: a blocked one
          // is muted while the others go on
          if (this.opts.choices === 1) {
            this.opts.cut();
            return;
          }
        } else if (step.release) {
          yield { type: "delta", index: ev.index, text: step.release };
        }
      } else if (ev.type === "tool_call_delta") {
        // held whole: the result carries each call complete, checked below before any of it goes
      } else {
        const choices = [];
        for (const ch of ev.choices) {
          const lane = this.#lane(ch.index);
          if (lane.blocked) continue;
          lane.text = ch.text;
          const step = await this.#step(lane, true);
          const calls = step.refusal === null ? await this.#calls(ch.tool_calls ?? []) : null;
          const refusal = step.refusal ?? (calls && "refusal" in calls ? calls.refusal : null);
          if (refusal !== null) {
            lane.blocked = true;
            yield { type: "filtered", index: ch.index, refusal };
            continue;
          }
          if (step.release) yield { type: "delta", index: ch.index, text: step.release };
          choices.push({
            ...ch,
            text: step.full ?? ch.text,
            ...(ch.tool_calls && calls && "checked" in calls ? { tool_calls: calls.checked } : {}),
          });
        }
        yield { ...ev, choices };
      }
    }
  }

  #lane(index: number): Lane {
    let lane = this.#lanes.get(index);
    if (!lane) {
      lane = {
        text: "",
        sent: 0,
        checked: 0,
        scored: 0,
        scores: null,
        unscoredPieces: 0,
        ends: [],
        blocked: false,
      };
      this.#lanes.set(index, lane);
    }
    return lane;
  }

  /**
   * Checks the lane's text (up to its last word boundary unless `final`) and says what may be
   * passed on; `full` is the whole answer as passed on (when final).
   */
  async #step(
    lane: Lane,
    final: boolean,
  ): Promise<{ refusal: string | null; release: string; full?: string }> {
    const mod = this.mod;
    const upTo = final ? lane.text.length : lastBoundary(lane.text);
    if (!final && (upTo <= lane.sent || upTo === lane.checked))
      return { refusal: null, release: "" };
    lane.checked = upTo;
    const text = lane.text.slice(0, upTo);
    const sentence = /[.!?\n]\s*$/.test(text);
    // only flag_only policies: nothing is blocked or changed, so the text goes on unchecked and is
    // checked (and flagged) once, whole, at the end
    if (!final && !this.#enforcing) {
      const release = text.slice(lane.sent);
      lane.sent = upTo;
      return { refusal: null, release };
    }
    if (
      mod.needsScores("output") &&
      text.slice(lane.scored).trim() !== "" &&
      (final || sentence || lane.unscoredPieces >= SCORE_EVERY)
    ) {
      const from = Math.max(0, lane.scored - SCORE_CONTEXT);
      const [ev] = await mod.evidence("output", [text.slice(from)], this.opts.signal);
      lane.scores = maxScores(lane.scores, ev?.scores ?? null);
      lane.scored = upTo;
      lane.unscoredPieces = 0;
    }
    const piiFrom = final ? 0 : Math.max(0, lane.sent - PII_CONTEXT);
    const pii = mod.needsPii("output") ? await this.#pii(text, piiFrom) : [];
    const verdict: Verdict = mod.judge("output", text, { scores: lane.scores ?? zeros(), pii });
    if (verdict.refusal !== null) {
      lane.blocked = true;
      mod.log("output", text, verdict);
      this.#measure(lane, verdict);
      return { refusal: verdict.refusal, release: "" };
    }
    const redact = verdict.checks.some((c) => c.check.decision.action === "redacted");
    let r = final ? upTo : holdBack(text, mod, lane);
    for (const f of pii) if (f.start < r && r < f.end) r = f.start;
    const release = r > lane.sent ? this.#slice(text, pii, redact, lane.sent, r) : "";
    lane.sent = Math.max(lane.sent, r);
    if (!final) return { refusal: null, release };
    mod.log("output", text, verdict);
    return { refusal: null, release, full: verdict.text };
  }

  /** The calls' arguments checked with the answer's policies (and logged). */
  async #calls(
    calls: { name: string; arguments: string }[],
  ): Promise<{ refusal: string } | { checked: { name: string; arguments: string }[] }> {
    if (!calls.length) return { checked: calls };
    const verdicts = await this.mod.decide(
      "output",
      calls.map((c) => c.arguments),
      this.opts.signal,
    );
    const blocked = verdicts.find((v) => v.refusal !== null);
    if (blocked) return { refusal: blocked.refusal ?? "" };
    return {
      checked: calls.map((c, k) => ({ ...c, arguments: verdicts[k]?.text ?? c.arguments })),
    };
  }

  async #pii(text: string, from: number): Promise<PiiFinding[]> {
    const [ev] = await this.mod.evidence("output", [text.slice(from)]);
    return (ev?.pii ?? []).map((f) => ({ ...f, start: f.start + from, end: f.end + from }));
  }

  #slice(text: string, pii: PiiFinding[], redact: boolean, from: number, to: number): string {
    return redact ? redactRange(text, pii, this.mod.names, from, to) : text.slice(from, to);
  }

  /** How many pieces came after the end of the first blocked match (categories: after the text scored). */
  #measure(lane: Lane, verdict: Verdict): void {
    const spans = verdict.checks.flatMap((c) =>
      c.check.decision.action === "blocked" ? c.check.spans : [],
    );
    const end = spans.length ? Math.min(...spans.map((s) => s.end)) : lane.text.length;
    this.lateBy.push(lane.ends.filter((e) => e > end).length);
  }
}

/** The offset after the last character that ends a word (a space or punctuation), 0 if none. */
function lastBoundary(text: string): number {
  for (let i = text.length - 1; i >= 0; i--) {
    if (/[^\p{L}\p{N}_]/u.test(text[i] ?? "")) return i + 1;
  }
  return 0;
}

/** Where checked text may be passed on to: before the tail that could still grow into a match. */
function holdBack(text: string, mod: ChatModeration, lane: Lane): number {
  let r = text.length;
  if (mod.needsScores("output")) r = Math.min(r, lane.scored);
  const patterns = mod.policies.some((p) => p.policy.output.patterns.length > 0);
  const phrase = Math.max(
    1,
    ...mod.policies.flatMap((p) =>
      p.policy.output.blocked_terms.map((t) => t.trim().split(/\s+/).length),
    ),
  );
  if (mod.needsPii("output") || patterns)
    r = Math.min(r, wordStart(text, text.length - HOLD_CHARS));
  if (phrase > 1) r = Math.min(r, startOfLastWords(text, phrase - 1));
  return Math.max(0, r);
}

/** The start of the word around offset `i` (0 when `i` is before the text). */
function wordStart(text: string, i: number): number {
  if (i <= 0) return 0;
  const before = text.slice(0, i);
  const m = /\s\S*$/.exec(before);
  return m ? m.index + 1 : 0;
}

/** The offset where the last `n` words of `text` begin. */
function startOfLastWords(text: string, n: number): number {
  const re = /\S+\s*$/;
  let end = text.length;
  for (let k = 0; k < n; k++) {
    const m = re.exec(text.slice(0, end));
    if (!m) return 0;
    end = m.index;
  }
  return end;
}

function maxScores(a: CategoryScores | null, b: CategoryScores | null): CategoryScores | null {
  if (!a) return b;
  if (!b) return a;
  const out = { ...a };
  for (const k of Object.keys(b) as (keyof CategoryScores)[]) out[k] = Math.max(a[k], b[k]);
  return out;
}

function zeros(): CategoryScores {
  return new Proxy({} as CategoryScores, { get: () => 0 });
}
