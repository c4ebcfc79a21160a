/**
 * Chat completions kept for feedback (`store: true`, or a model name that keeps them), with their
 * feedback, deleted after their retention. SKELETON: helper B implements it.
 */
import type { FeedbackInput } from "../../protocol/assistants.ts";
import type { StoredCompletion } from "../../protocol/review.ts";
import type { Db } from "../store/index.ts";

const todo = (what: string): never => {
  throw new Error(`CompletionStore.${what}: not implemented yet`);
};

export type NewCompletion = Omit<StoredCompletion, "object" | "feedback" | "expires_at"> & {
  keyId: string | null;
  retentionDays: number;
};

export class CompletionStore {
  constructor(readonly db: Db) {}

  save(_c: NewCompletion): StoredCompletion {
    return todo("save");
  }

  find(_id: string): StoredCompletion | null {
    return todo("find");
  }

  /** Newest first; every owner's when `owner` is undefined. */
  list(
    _owner: string | undefined,
    _opts?: { model?: string; after?: string; limit?: number; metadata?: Record<string, string> },
  ): { data: StoredCompletion[]; has_more: boolean } {
    return todo("list");
  }

  feedback(_id: string, _input: FeedbackInput): StoredCompletion {
    return todo("feedback");
  }

  delete(_id: string): boolean {
    return todo("delete");
  }

  /** Deletes expired completions; how many. */
  sweep(_nowSeconds?: number): number {
    return todo("sweep");
  }
}
