/**
 * What a model did in use, one row per answer (model as asked, the version that answered, the
 * channel, the answer's length, and for kept answers the question, for the drift check). Recording
 * is one synchronous insert and never fails an answer: a row that cannot be written is logged and
 * dropped. A question is kept only until its drift is measured (then only the distance stays).
 */
import type { SqlDb } from "../store/sql.ts";
import type { Scope } from "./scope.ts";

export interface UsageRecord {
  model: string;
  resolvedModel: string;
  channel: "chat" | "responses" | "share";
  answerChars: number | null;
  /** The question's text, only when the answer is kept (store / a conversation). */
  question: string | null;
}

/** A message as the channels hold them: content a string, or OpenAI's parts. */
export interface AskedMessage {
  role: string;
  content?: unknown;
}

/** An answer as a route has it: the answer's text, and the conversation when it is kept (else null). */
export interface Answered {
  model: string;
  resolvedModel: string;
  channel: UsageRecord["channel"];
  answer: string | null | undefined;
  /** The conversation the question ends (its last user message is the question), or the question. */
  asked: readonly AskedMessage[] | string | null;
}

/** A kept question not yet checked for drift. */
export interface UncheckedQuestion {
  seq: number;
  resolvedModel: string;
  question: string;
}

/** The text of a message's content: a string, or the text parts of OpenAI's content parts. */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((p) =>
      p && typeof p === "object" && typeof (p as { text?: unknown }).text === "string"
        ? (p as { text: string }).text
        : "",
    )
    .filter(Boolean)
    .join("\n");
}

/** The question a conversation ends with: its last user message's text (null when there is none). */
export function questionOf(asked: readonly AskedMessage[] | string | null): string | null {
  if (asked === null) return null;
  if (typeof asked === "string") return asked.trim() ? asked : null;
  for (let i = asked.length - 1; i >= 0; i--) {
    const m = asked[i];
    if (m?.role !== "user") continue;
    const text = contentText(m.content);
    return text.trim() ? text : null;
  }
  return null;
}

/** Longest question kept for the drift check (the embedding model reads far less anyway). */
const MAX_QUESTION_CHARS = 4000;

export class UsageLog {
  readonly #insert;

  constructor(readonly db: SqlDb) {
    this.#insert = db.prepare(
      `INSERT INTO model_usage (at, model, resolved_model, channel, answer_chars, question)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
  }

  record(r: UsageRecord, at: number = Math.floor(Date.now() / 1000)): void {
    const question = r.question === null ? null : r.question.slice(0, MAX_QUESTION_CHARS);
    this.#insert.run(at, r.model, r.resolvedModel, r.channel, r.answerChars, question);
  }

  /** Records an answer as a route has it; a failure is logged, never thrown at the caller. */
  answered(a: Answered): void {
    try {
      this.record({
        model: a.model,
        resolvedModel: a.resolvedModel,
        channel: a.channel,
        answerChars: typeof a.answer === "string" ? a.answer.length : null,
        question: questionOf(a.asked),
      });
    } catch (e) {
      console.error(`usage of ${a.model} not recorded:`, e);
    }
  }

  /** Kept questions of `scope` since `from` (seconds) whose drift is not measured yet, newest first. */
  unchecked(scope: Scope, from: number, limit: number): UncheckedQuestion[] {
    return (
      this.db
        .prepare(
          `SELECT seq, resolved_model AS "resolvedModel", question FROM model_usage
           WHERE at >= ? AND question IS NOT NULL AND drift IS NULL AND ${scope.sql}
           ORDER BY seq DESC LIMIT ?`,
        )
        .all(from, ...scope.params, limit) as UncheckedQuestion[]
    ).filter((q) => q.question.trim() !== "");
  }

  /** Stores a question's distance to the nearest training question, and forgets its text. */
  setDrift(distances: ReadonlyMap<number, number>): void {
    const update = this.db.prepare(
      "UPDATE model_usage SET drift = ?, question = NULL WHERE seq = ?",
    );
    this.db.transaction(() => {
      for (const [seq, d] of distances) update.run(d, seq);
    })();
  }

  /** Forgets kept questions that can never be checked (their model has no training data). */
  forgetQuestions(seqs: readonly number[]): void {
    const update = this.db.prepare("UPDATE model_usage SET question = NULL WHERE seq = ?");
    this.db.transaction(() => {
      for (const seq of seqs) update.run(seq);
    })();
  }
}
