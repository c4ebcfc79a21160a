/**
 * Conversations with assistants in TAILOR_HOME's database: each message with the version that
 * answered, its sources, function calls and feedback; a retention period pushed forward by every
 * message and enforced by `sweep`. Export as training JSONL is in conversations-export.ts, redaction
 * in conversations-redact.ts.
 */
import {
  type AssistantConversationWithMessages,
  type AssistantConversation as Conversation,
  ConversationMessage,
  type Feedback,
  FeedbackInput,
} from "../../protocol/assistants.ts";
import type { ChatMessage } from "../../protocol/index.ts";
import { TailorError } from "../errors/index.ts";
import { isPostgres, type SqlDb } from "../store/sql.ts";
import {
  type ConversationRow,
  conversationOf,
  conversationSelect,
  DAY,
  type MessageRow,
  messageOf,
  newId,
  nowSeconds,
  titleOf,
} from "./conversations-rows.ts";

export type NewMessage = Omit<ConversationMessage, "id" | "created_at" | "feedback">;

const NewMessageSchema = ConversationMessage.omit({ id: true, created_at: true, feedback: true });

export const MAX_PAGE = 100;
export const DEFAULT_PAGE = 20;

/** What redaction writes back into one message (conversations-redact.ts). */
export interface MessageRewrite {
  id: string;
  content: string;
  function_calls: ConversationMessage["function_calls"];
  feedback: Feedback | null;
}

function retention(days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > 3650) {
    throw new TailorError({
      code: "invalid_argument",
      message: `retention_days: ${days} is not a whole number of days from 1 to 3650`,
      details: { field: "retention_days" },
    });
  }
  return days * DAY;
}

function checked(message: NewMessage): NewMessage {
  const r = NewMessageSchema.safeParse(message);
  if (r.success) return r.data;
  const field = `message.${r.error.issues[0]?.path.join(".") ?? ""}`;
  throw new TailorError({
    code: "invalid_argument",
    message: `${field}: ${r.error.issues[0]?.message ?? "invalid"}`,
    details: { field },
  });
}

const notFound = (id: string) =>
  new TailorError({
    code: "not_found",
    message: `no conversation ${id}; list the assistant's conversations for their ids`,
    details: { field: "conversation_id" },
  });

export class ConversationStore {
  private readonly now: () => number;
  /** The conversations' columns with their counts, in this database's SQL. */
  private readonly select: string;

  constructor(
    readonly db: SqlDb,
    /** The clock in Unix seconds (tests move it). */
    opts: { now?: () => number } = {},
  ) {
    this.now = opts.now ?? nowSeconds;
    this.select = conversationSelect(isPostgres(db));
  }

  start(
    assistantId: string,
    channel: "share" | "api",
    visitor: string,
    retentionDays: number,
  ): Conversation {
    const ttl = retention(retentionDays);
    const exists = this.db.prepare("SELECT 1 FROM assistants WHERE id = ?").get(assistantId);
    if (!exists) {
      throw new TailorError({
        code: "not_found",
        message: `no assistant ${assistantId}`,
        details: { field: "assistant_id" },
      });
    }
    const id = newId("conv");
    const now = this.now();
    this.db
      .prepare(
        `INSERT INTO conversations (id, assistant_id, channel, visitor, created_at, updated_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, assistantId, channel, visitor, now, now, now + ttl);
    return this.summary(id);
  }

  get(id: string): AssistantConversationWithMessages {
    const c = this.find(id);
    if (!c) throw notFound(id);
    return c;
  }

  find(id: string): AssistantConversationWithMessages | null {
    const row = this.db.prepare(`${this.select} WHERE c.id = ?`).get(id) as
      | ConversationRow
      | undefined;
    if (!row) return null;
    return { ...conversationOf(row), messages: this.messages(id) };
  }

  /** Newest first (by last message; in the same second, the later started first). */
  list(assistantId: string, opts: { limit?: number; after?: string } = {}): Conversation[] {
    return this.page(assistantId, opts).data;
  }

  /** A page of `list` and whether more follow (`after`: the last id of the previous page). */
  page(
    assistantId: string,
    opts: { limit?: number | undefined; after?: string | undefined } = {},
  ): { data: Conversation[]; has_more: boolean } {
    const limit = opts.limit ?? DEFAULT_PAGE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      throw new TailorError({
        code: "invalid_argument",
        message: `limit: ${limit} is not a whole number from 1 to ${MAX_PAGE}`,
        details: { field: "limit" },
      });
    }
    let cursor = "";
    const args: (string | number)[] = [assistantId];
    if (opts.after !== undefined) {
      const from = this.db
        .prepare(
          "SELECT updated_at, rowid AS n FROM conversations WHERE id = ? AND assistant_id = ?",
        )
        .get(opts.after, assistantId) as { updated_at: number; n: number } | undefined;
      if (!from) {
        throw new TailorError({
          code: "invalid_argument",
          message: `after: no conversation ${opts.after} of this assistant (give the last id of the previous page)`,
          details: { field: "after" },
        });
      }
      cursor = "AND (c.updated_at < ? OR (c.updated_at = ? AND c.rowid < ?))";
      args.push(from.updated_at, from.updated_at, from.n);
    }
    const rows = this.db
      .prepare(
        `${this.select} WHERE c.assistant_id = ? ${cursor}
         ORDER BY c.updated_at DESC, c.rowid DESC LIMIT ?`,
      )
      .all(...args, limit + 1) as ConversationRow[];
    return { data: rows.slice(0, limit).map(conversationOf), has_more: rows.length > limit };
  }

  /** Every conversation id of an assistant, oldest first (export and redaction walk them). */
  ids(assistantId: string): string[] {
    return (
      this.db
        .prepare("SELECT id FROM conversations WHERE assistant_id = ? ORDER BY created_at, rowid")
        .all(assistantId) as { id: string }[]
    ).map((r) => r.id);
  }

  /** Adds a message (and pushes the conversation's expiry `retentionDays` past now). */
  append(conversationId: string, message: NewMessage, retentionDays: number): ConversationMessage {
    const ttl = retention(retentionDays);
    const m = checked(message);
    const id = newId("msg");
    const now = this.now();
    this.db.transaction(() => {
      const c = this.db
        .prepare("SELECT title FROM conversations WHERE id = ?")
        .get(conversationId) as { title: string } | undefined;
      if (!c) throw notFound(conversationId);
      this.db
        .prepare(
          `INSERT INTO conversation_messages (id, conversation_id, role, content, created_at, version,
             sources_json, calls_json, finish_reason, feedback_json)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
        )
        .run(
          id,
          conversationId,
          m.role,
          m.content,
          now,
          m.version,
          JSON.stringify(m.sources),
          JSON.stringify(m.function_calls),
          m.finish_reason,
        );
      const title = c.title === "" && m.role === "user" ? titleOf(m.content) : c.title;
      this.db
        .prepare("UPDATE conversations SET updated_at = ?, expires_at = ?, title = ? WHERE id = ?")
        .run(now, now + ttl, title, conversationId);
    })();
    return { ...m, id, created_at: now, feedback: null };
  }

  /** The conversation as the model reads it: user and assistant texts in order (empty ones left out). */
  history(conversationId: string): ChatMessage[] {
    if (!this.db.prepare("SELECT 1 FROM conversations WHERE id = ?").get(conversationId)) {
      throw notFound(conversationId);
    }
    return this.messages(conversationId)
      .filter((m) => m.content.trim() !== "")
      .map((m) => ({ role: m.role, content: m.content }));
  }

  /**
   * A visitor's (or the owner's) feedback on an answer, merged into what it had: a field given
   * replaces the stored one (`rating: null` and an empty comment or correction clear it).
   */
  feedback(conversationId: string, messageId: string, input: FeedbackInput): ConversationMessage {
    const parsed = FeedbackInput.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join(".") || "feedback";
      throw new TailorError({
        code: "invalid_argument",
        message: `${field}: ${issue?.message ?? "invalid"}`,
        details: { field },
      });
    }
    const f = parsed.data;
    return this.db.transaction(() => {
      const row = this.messageRow(messageId, true);
      if (!row || row.conversation_id !== conversationId) {
        throw new TailorError({
          code: "not_found",
          message: `no message ${messageId} in conversation ${conversationId}`,
          details: { field: "message_id" },
        });
      }
      if (row.role !== "assistant") {
        throw new TailorError({
          code: "invalid_argument",
          message: `message ${messageId} is the visitor's question; feedback goes on an answer (an assistant message)`,
          details: { field: "message_id" },
        });
      }
      const was = messageOf(row).feedback;
      const text = (v: string | undefined, old: string | null) =>
        v === undefined ? old : v.trim() === "" ? null : v;
      const next: Feedback = {
        rating: f.rating === undefined ? (was?.rating ?? null) : f.rating,
        wrong: f.wrong ?? was?.wrong ?? false,
        comment: text(f.comment, was?.comment ?? null),
        correction: text(f.correction, was?.correction ?? null),
        at: this.now(),
      };
      this.db
        .prepare("UPDATE conversation_messages SET feedback_json = ? WHERE id = ?")
        .run(JSON.stringify(next), messageId);
      return { ...messageOf(row), feedback: next };
    })();
  }

  delete(id: string): void {
    const r = this.db.prepare("DELETE FROM conversations WHERE id = ?").run(id);
    if (r.changes === 0) throw notFound(id);
  }

  /** Deletes the conversations whose expiry has passed (their messages with them); how many. */
  sweep(nowSeconds?: number): number {
    const now = nowSeconds ?? this.now();
    return this.db.prepare("DELETE FROM conversations WHERE expires_at <= ?").run(now).changes;
  }

  /**
   * The owner changed the retention period: every conversation of the assistant now expires that
   * many days after its last message. How many conversations were touched.
   */
  setRetention(assistantId: string, retentionDays: number): number {
    const ttl = retention(retentionDays);
    return this.db
      .prepare("UPDATE conversations SET expires_at = updated_at + ? WHERE assistant_id = ?")
      .run(ttl, assistantId).changes;
  }

  /**
   * Writes redacted texts back (the messages that still exist; one written since is left as it
   * is), re-derives the title from the first question and marks the conversation redacted.
   */
  rewrite(conversationId: string, messages: MessageRewrite[]): void {
    this.db.transaction(() => {
      const update = this.db.prepare(
        `UPDATE conversation_messages SET content = ?, calls_json = ?, feedback_json = ?
         WHERE id = ? AND conversation_id = ?`,
      );
      for (const m of messages) {
        update.run(
          m.content,
          JSON.stringify(m.function_calls),
          m.feedback === null ? null : JSON.stringify(m.feedback),
          m.id,
          conversationId,
        );
      }
      const first = this.messages(conversationId).find((m) => m.role === "user");
      this.db
        .prepare("UPDATE conversations SET redacted = 1, title = ? WHERE id = ?")
        .run(first ? titleOf(first.content) : "", conversationId);
    })();
  }

  private summary(id: string): Conversation {
    const row = this.db.prepare(`${this.select} WHERE c.id = ?`).get(id) as ConversationRow;
    return conversationOf(row);
  }

  private messages(conversationId: string): ConversationMessage[] {
    return (
      this.db
        .prepare("SELECT * FROM conversation_messages WHERE conversation_id = ? ORDER BY seq")
        .all(conversationId) as MessageRow[]
    ).map(messageOf);
  }

  /** `lock`: in a transaction, holds the row until it ends (Postgres; SQLite's write lock does it). */
  private messageRow(id: string, lock = false): MessageRow | undefined {
    const forUpdate = lock && isPostgres(this.db) ? " FOR UPDATE" : "";
    return this.db
      .prepare(`SELECT * FROM conversation_messages WHERE id = ?${forUpdate}`)
      .get(id) as MessageRow | undefined;
  }
}
