/**
 * What a model did in use, one row per answer (model as asked, the version that answered, the
 * channel, the answer's length, and for kept answers the question, for the drift check).
 * SKELETON: helper F implements it.
 */
import type { Db } from "../store/index.ts";

export interface UsageRecord {
  model: string;
  resolvedModel: string;
  channel: "chat" | "responses" | "share";
  answerChars: number | null;
  /** The question's text, only when the answer is kept (store / a conversation). */
  question: string | null;
}

export class UsageLog {
  constructor(readonly db: Db) {}

  record(_r: UsageRecord): void {
    throw new Error("UsageLog.record: not implemented yet");
  }
}
