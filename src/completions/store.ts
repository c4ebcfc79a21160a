/**
 * Chat completions kept for feedback (`store: true`, or a model name that keeps them) in TAILOR_HOME's
 * database: the conversation the model was given, the first choice's answer, the caller's metadata
 * and the feedback on it (merged as the assistants' conversations merge theirs), each deleted once
 * its retention period has passed (`sweep`, hourly in the server).
 */
import { z } from "zod";
import { Feedback, FeedbackInput } from "../../protocol/assistants.ts";
import { ChatMessage } from "../../protocol/engine/requests.ts";
import { StoredCompletion } from "../../protocol/review.ts";
import { TailorError } from "../errors/index.ts";
import { isPostgres, type SqlDb } from "../store/sql.ts";

export const DAY = 86_400;
export const DEFAULT_RETENTION_DAYS = 30;
export const MAX_PAGE = 100;
export const DEFAULT_PAGE = 20;

export type NewCompletion = Omit<StoredCompletion, "object" | "feedback" | "expires_at"> & {
  keyId: string | null;
  retentionDays: number;
};

export interface ListOptions {
  /** The model as asked or the model that answered. */
  model?: string | undefined;
  /** The last id of the previous page. */
  after?: string | undefined;
  limit?: number | undefined;
  /** Every pair must be in the completion's metadata. */
  metadata?: Record<string, string> | undefined;
  /** By creation time: newest first (the default) or oldest first. */
  order?: "asc" | "desc" | undefined;
}

const NewCompletionSchema = StoredCompletion.omit({
  object: true,
  feedback: true,
  expires_at: true,
});

interface Row {
  id: string;
  owner: string;
  key_id: string | null;
  model: string;
  resolved_model: string;
  created: number;
  expires_at: number;
  messages_json: string;
  answer: string;
  finish_reason: string;
  metadata_json: string;
  feedback_json: string | null;
}

const Messages = z.array(ChatMessage);
const Metadata = z.record(z.string(), z.string());

/** A JSON column read with its schema (a row written by a broken build reads as `fallback`). */
function parsed<T>(schema: z.ZodType<T>, json: string, fallback: T): T {
  try {
    const r = schema.safeParse(JSON.parse(json));
    return r.success ? r.data : fallback;
  } catch {
    return fallback;
  }
}

function completionOf(r: Row): StoredCompletion {
  return {
    id: r.id,
    object: "chat.completion",
    created: r.created,
    model: r.model,
    resolved_model: r.resolved_model,
    owner: r.owner,
    messages: parsed(Messages, r.messages_json, []),
    answer: r.answer,
    finish_reason: r.finish_reason,
    metadata: parsed(Metadata, r.metadata_json, {}),
    expires_at: r.expires_at,
    feedback: r.feedback_json === null ? null : parsed(Feedback.nullable(), r.feedback_json, null),
  };
}

const invalid = (field: string, message: string) =>
  new TailorError({
    code: "invalid_argument",
    message: `${field}: ${message}`,
    details: { field },
  });

const notFound = (id: string) =>
  new TailorError({
    code: "not_found",
    message: `no stored chat completion ${id}; GET /v1/chat/completions lists yours (only answers asked with store: true are kept, for their retention period)`,
    details: { field: "completion_id" },
  });

export class CompletionStore {
  private readonly now: () => number;

  constructor(
    readonly db: SqlDb,
    /** The clock in Unix seconds (tests move it). */
    opts: { now?: () => number } = {},
  ) {
    this.now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  }

  /** Keeps a completion until `created` + its retention period. */
  save(c: NewCompletion): StoredCompletion {
    const days = c.retentionDays;
    if (!Number.isInteger(days) || days < 1 || days > 3650) {
      throw invalid("retention_days", `${days} is not a whole number of days from 1 to 3650`);
    }
    const r = NewCompletionSchema.safeParse(c);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw invalid(issue?.path.join(".") || "completion", issue?.message ?? "invalid");
    }
    const v = r.data;
    const expires = v.created + days * DAY;
    this.db
      .prepare(
        `INSERT INTO stored_completions (id, owner, key_id, model, resolved_model, created, expires_at,
           messages_json, answer, finish_reason, metadata_json, feedback_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
      )
      .run(
        v.id,
        v.owner,
        c.keyId,
        v.model,
        v.resolved_model,
        v.created,
        expires,
        JSON.stringify(v.messages),
        v.answer,
        v.finish_reason,
        JSON.stringify(v.metadata),
      );
    return { ...v, object: "chat.completion", expires_at: expires, feedback: null };
  }

  find(id: string): StoredCompletion | null {
    const row = this.db.prepare("SELECT * FROM stored_completions WHERE id = ?").get(id) as
      | Row
      | undefined;
    return row ? completionOf(row) : null;
  }

  get(id: string): StoredCompletion {
    const c = this.find(id);
    if (!c) throw notFound(id);
    return c;
  }

  /** Newest first (or oldest with `order: "asc"`); every owner's when `owner` is undefined. */
  list(
    owner: string | undefined,
    opts: ListOptions = {},
  ): { data: StoredCompletion[]; has_more: boolean } {
    const limit = opts.limit ?? DEFAULT_PAGE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      throw invalid("limit", `${limit} is not a whole number from 1 to ${MAX_PAGE}`);
    }
    const desc = (opts.order ?? "desc") === "desc";
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (owner !== undefined) {
      where.push("owner = ?");
      args.push(owner);
    }
    if (opts.model !== undefined) {
      where.push("(model = ? OR resolved_model = ?)");
      args.push(opts.model, opts.model);
    }
    const hasPair = isPostgres(this.db)
      ? "(CAST(metadata_json AS jsonb) ->> CAST(? AS TEXT)) = CAST(? AS TEXT)"
      : "EXISTS (SELECT 1 FROM json_each(metadata_json) m WHERE m.key = ? AND m.value = ?)";
    for (const [key, value] of Object.entries(opts.metadata ?? {})) {
      where.push(hasPair);
      args.push(key, value);
    }
    // ties in `created` go in the order rows were saved: SQLite's rowid, a column of that name in
    // Postgres' table (../store/postgres/migrations/answers.ts)
    if (opts.after !== undefined) {
      const from = this.db
        .prepare("SELECT created, rowid AS n, owner FROM stored_completions WHERE id = ?")
        .get(opts.after) as { created: number; n: number; owner: string } | undefined;
      if (!from || (owner !== undefined && from.owner !== owner)) {
        throw invalid(
          "after",
          `no stored completion ${opts.after} of yours (give the last id of the previous page)`,
        );
      }
      const cmp = desc ? "<" : ">";
      where.push(`(created ${cmp} ? OR (created = ? AND rowid ${cmp} ?))`);
      args.push(from.created, from.created, from.n);
    }
    const dir = desc ? "DESC" : "ASC";
    const rows = this.db
      .prepare(
        `SELECT * FROM stored_completions ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
         ORDER BY created ${dir}, rowid ${dir} LIMIT ?`,
      )
      .all(...args, limit + 1) as Row[];
    return { data: rows.slice(0, limit).map(completionOf), has_more: rows.length > limit };
  }

  /**
   * Feedback on the answer, merged into what it had: a field given replaces the stored one
   * (`rating: null` and an empty comment or correction clear it); `at` is now.
   */
  feedback(id: string, input: FeedbackInput): StoredCompletion {
    const r = FeedbackInput.safeParse(input);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw invalid(issue?.path.join(".") || "feedback", issue?.message ?? "invalid");
    }
    const f = r.data;
    return this.db.transaction(() => {
      const was = this.get(id);
      const old = was.feedback;
      const text = (v: string | undefined, before: string | null) =>
        v === undefined ? before : v.trim() === "" ? null : v;
      const next: Feedback = {
        rating: f.rating === undefined ? (old?.rating ?? null) : f.rating,
        wrong: f.wrong ?? old?.wrong ?? false,
        comment: text(f.comment, old?.comment ?? null),
        correction: text(f.correction, old?.correction ?? null),
        at: this.now(),
      };
      this.db
        .prepare("UPDATE stored_completions SET feedback_json = ? WHERE id = ?")
        .run(JSON.stringify(next), id);
      return { ...was, feedback: next };
    })();
  }

  /** Replaces the completion's metadata (OpenAI's update: the only field it changes). */
  setMetadata(id: string, metadata: Record<string, string>): StoredCompletion {
    const m = Metadata.safeParse(metadata);
    if (!m.success) throw invalid("metadata", m.error.issues[0]?.message ?? "invalid");
    const r = this.db
      .prepare("UPDATE stored_completions SET metadata_json = ? WHERE id = ?")
      .run(JSON.stringify(m.data), id);
    if (r.changes === 0) throw notFound(id);
    return this.get(id);
  }

  /** false when there was no such completion. */
  delete(id: string): boolean {
    return this.db.prepare("DELETE FROM stored_completions WHERE id = ?").run(id).changes > 0;
  }

  /** Deletes expired completions; how many. */
  sweep(nowSeconds?: number): number {
    const now = nowSeconds ?? this.now();
    return this.db.prepare("DELETE FROM stored_completions WHERE expires_at <= ?").run(now).changes;
  }
}
