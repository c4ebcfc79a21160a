/**
 * The flags moderation policies raise: one per policy and side whose checks fired on a request, with
 * the rules, the scores, and a short excerpt in which what fired is masked. The full text is kept
 * only when the policy's `log_text` is on.
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { ModerationFlag, PolicyDecision } from "../../../protocol/moderation.ts";
import { RuleHit } from "../../../protocol/moderation.ts";
import { TailorError } from "../../errors/index.ts";
import type { SqlDb } from "../../store/sql.ts";
import { findPii } from "../pii.ts";
import type { Span } from "./policy-eval.ts";

export type FlagInput = Omit<ModerationFlag, "object" | "id" | "created_at"> & {
  /** The caller's key's owner (members list the flags of their own requests). */
  owner: string | null;
};

export interface FlagFilter {
  /** Only this policy's flags: a stored policy's id, or the name of one given inline. */
  policyId?: string | undefined;
  policyName?: string | undefined;
  model?: string | undefined;
  stage?: string | undefined;
  action?: string | undefined;
  /** Only flags of requests made with keys of this owner (undefined: everyone's). */
  owner?: string | undefined;
  /** A flag's id: only flags older than it. */
  after?: string | undefined;
  limit: number;
}

interface Row {
  seq: number;
  id: string;
  created_at: number;
  policy_id: string | null;
  policy_name: string;
  stage: ModerationFlag["stage"];
  action: ModerationFlag["action"];
  hits_json: string;
  model: string | null;
  key_id: string | null;
  request_id: string | null;
  excerpt: string;
  text: string | null;
}

const Hits = z.array(RuleHit);
/** Characters of context before the first thing that fired, and of the excerpt in all. */
const CONTEXT = 40;
const EXCERPT = 120;

/**
 * A short excerpt of `text` (at most about 120 characters) around the first span that fired, each
 * span masked: personal data by its placeholder type ("[EMAIL]"), a term or a pattern's match by
 * its first letter and stars. Structured personal data (e-mails, phones, cards...) is masked in it
 * whatever the policy checks.
 */
export function maskedExcerpt(text: string, spans: readonly Span[]): string {
  const first = spans[0];
  const from = first ? Math.max(0, first.start - CONTEXT) : 0;
  const to = Math.min(text.length, Math.max(from + EXCERPT, first?.end ?? 0));
  const pii: Span[] = findPii(text.slice(from, to)).map((f) => ({
    start: f.start + from,
    end: f.end + from,
    kind: "personal_data",
    rule: f.type,
  }));
  const all = [...spans, ...pii].sort((a, b) => a.start - b.start);
  let out = "";
  let last = from;
  for (const s of all) {
    if (s.start < last || s.end > to) continue;
    const found = text.slice(s.start, s.end);
    const mask =
      s.kind === "personal_data"
        ? `[${s.rule}]`
        : `${found.slice(0, 1)}${"*".repeat(Math.min(Math.max(found.length - 1, 1), 12))}`;
    out += text.slice(last, s.start) + mask;
    last = s.end;
  }
  out += text.slice(last, to);
  return `${from > 0 ? "…" : ""}${out.replace(/\s+/g, " ").trim()}${to < text.length ? "…" : ""}`;
}

export class FlagStore {
  constructor(readonly db: SqlDb) {}

  record(f: FlagInput): ModerationFlag {
    const id = `modflag_${randomBytes(12).toString("hex")}`;
    const created_at = Math.floor(Date.now() / 1000);
    this.db
      .prepare(
        `INSERT INTO moderation_flags (id, created_at, policy_id, policy_name, stage, action, hits_json,
           model, key_id, owner, request_id, excerpt, text)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        created_at,
        f.policy_id,
        f.policy_name,
        f.stage,
        f.action,
        JSON.stringify(f.hits),
        f.model,
        f.key_id,
        f.owner,
        f.request_id,
        f.excerpt,
        f.text,
      );
    const { owner: _, ...flag } = f;
    return { object: "tailor.moderation_flag", id, created_at, ...flag };
  }

  /** Newest first; `hasMore` when older ones match too. */
  list(q: FlagFilter): { flags: ModerationFlag[]; hasMore: boolean } {
    let before: number | null = null;
    if (q.after) {
      const row = this.db.prepare("SELECT seq FROM moderation_flags WHERE id = ?").get(q.after) as
        | { seq: number }
        | undefined;
      if (!row) {
        throw new TailorError({
          code: "invalid_argument",
          message: `after: no flag "${q.after}" (give the last id of the previous page)`,
          details: { field: "after" },
        });
      }
      before = row.seq;
    }
    const rows = this.db
      .prepare(
        `SELECT * FROM moderation_flags
         WHERE (CAST(@before AS BIGINT) IS NULL OR seq < @before)
           AND (CAST(@policyId AS TEXT) IS NULL OR policy_id = @policyId)
           AND (CAST(@policyName AS TEXT) IS NULL OR (policy_id IS NULL AND policy_name = @policyName))
           AND (CAST(@model AS TEXT) IS NULL OR model = @model)
           AND (CAST(@stage AS TEXT) IS NULL OR stage = @stage)
           AND (CAST(@action AS TEXT) IS NULL OR action = @action)
           AND (CAST(@owner AS TEXT) IS NULL OR owner = @owner)
         ORDER BY seq DESC LIMIT @limit`,
      )
      .all({
        before,
        policyId: q.policyId ?? null,
        policyName: q.policyName ?? null,
        model: q.model ?? null,
        stage: q.stage ?? null,
        action: q.action ?? null,
        owner: q.owner ?? null,
        limit: q.limit + 1,
      }) as Row[];
    return { flags: rows.slice(0, q.limit).map(fromRow), hasMore: rows.length > q.limit };
  }
}

function fromRow(r: Row): ModerationFlag {
  const { seq: _, hits_json, ...rest } = r;
  const hits = Hits.safeParse(JSON.parse(hits_json));
  return { object: "tailor.moderation_flag", ...rest, hits: hits.success ? hits.data : [] };
}

/** What a flag records of one decision (its text only with `log_text`). */
export function flagOf(
  d: PolicyDecision,
  checked: string,
  spans: readonly Span[],
  logText: boolean,
): Pick<ModerationFlag, "stage" | "action" | "hits" | "excerpt" | "text"> {
  return {
    stage: d.stage,
    action: d.action,
    hits: d.hits,
    excerpt: maskedExcerpt(checked, spans),
    text: logText ? checked : null,
  };
}
