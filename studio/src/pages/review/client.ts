/**
 * The Review page's types and its calls to the API (the queue, one item, accept / edit / reject,
 * redaction), in one place so that the routes are named once.
 */
import type { ReviewRedactionResult } from "../../../../protocol/api/review.ts";
import type { ReviewItem, ReviewStatus } from "../../../../protocol/review.ts";
import { api } from "../../api.ts";

export type { ReviewItem, ReviewRedactionResult, ReviewStatus };
export type PiiFinding = ReviewItem["pii"][number];

interface List<T> {
  data: T[];
  has_more?: boolean;
}

const ITEMS = "/v1/review/items";
const at = (id: string) => `${ITEMS}/${encodeURIComponent(id)}`;

/** "all" lists every status. */
export type StatusFilter = ReviewStatus | "all";

/**
 * The queue as the server orders it (oldest first); `more` when there are more than the page holds.
 * The page shows pending items first.
 */
export const listItems = async (
  status: StatusFilter,
  model: string | null,
): Promise<{ data: ReviewItem[]; more: boolean }> => {
  // the server lists pending items unless told otherwise, so "all" is said too
  const q = new URLSearchParams({ limit: "100", status });
  if (model) q.set("model", model);
  const r = await api<List<ReviewItem>>(`${ITEMS}?${q}`);
  return { data: r.data, more: r.has_more === true };
};

export const getItem = (id: string): Promise<ReviewItem> => api<ReviewItem>(at(id));

/** Accepts the proposed answer, or `answer` (the reviewer's edit). */
export const acceptItem = (
  id: string,
  body: { answer?: string; note?: string },
): Promise<ReviewItem> => api<ReviewItem>(`${at(id)}/accept`, { body });

export const rejectItem = (id: string, note: string | null): Promise<ReviewItem> =>
  api<ReviewItem>(`${at(id)}/reject`, { body: note ? { note } : {} });

/** Replaces the personal data found in the item's question, answer and proposed answer with tags. */
export const redactItem = (id: string): Promise<ReviewRedactionResult> =>
  api<ReviewRedactionResult>(`${at(id)}/redact`, { body: {} });
