/**
 * The review queue: every answer that got feedback waits here for a person, who accepts it (as
 * proposed, or edited) or rejects it; personal data is found and can be redacted first. Nothing
 * becomes a training example without a reviewer. SKELETON: helper C implements it.
 */
import type { NewReviewItem, ReviewItem, ReviewStatus } from "../../protocol/review.ts";
import type { Db } from "../store/index.ts";

const todo = (what: string): never => {
  throw new Error(`ReviewQueue.${what}: not implemented yet`);
};

export class ReviewQueue {
  constructor(readonly db: Db) {}

  /** Files feedback: a new pending item, or the pending item of the same answer updated. */
  file(_item: NewReviewItem): ReviewItem {
    return todo("file");
  }

  get(_id: string): ReviewItem {
    return todo("get");
  }

  find(_id: string): ReviewItem | null {
    return todo("find");
  }

  /** Oldest first; every owner's when `owner` is undefined. */
  list(
    _owner: string | undefined,
    _opts?: { status?: ReviewStatus; model?: string; after?: string; limit?: number },
  ): { data: ReviewItem[]; has_more: boolean } {
    return todo("list");
  }

  /** Accepts the proposed answer, or `answer` (an edit); refused when nothing is proposed and no edit given. */
  accept(_id: string, _reviewer: string, _opts?: { answer?: string; note?: string }): ReviewItem {
    return todo("accept");
  }

  reject(_id: string, _reviewer: string, _note?: string): ReviewItem {
    return todo("reject");
  }

  /** Accepted items of the models in `models` (a name's versions) not yet used in a dataset. */
  unused(_models: string[]): ReviewItem[] {
    return todo("unused");
  }

  /** Marks items as used by a dataset version (and records the lineage). */
  markUsed(_ids: string[], _datasetId: string): void {
    todo("markUsed");
  }
}
