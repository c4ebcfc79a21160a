/** An accepted review item as a training example (a line of a chat JSONL file). */
import type { Conversation } from "../../protocol/index.ts";
import type { ReviewItem } from "../../protocol/review.ts";
import { TailorError } from "../errors/index.ts";

/** The item's question followed by its final answer; refused for an item nobody accepted. */
export function reviewExample(item: ReviewItem): Conversation {
  if (item.status !== "accepted" || item.final_answer === null)
    throw new TailorError({
      code: "conflict",
      message: `${item.id} is ${item.status}: only accepted items become examples`,
      details: { field: "review_item" },
    });
  return { messages: [...item.question, { role: "assistant", content: item.final_answer }] };
}
