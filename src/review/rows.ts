/**
 * Review items as the database keeps them (src/store/db.ts: review_items) and as the API shows
 * them. JSON columns are parsed with their schemas: a row never reaches a caller unchecked.
 */
import { randomBytes } from "node:crypto";
import { z } from "@hono/zod-openapi";
import { ChatMessage } from "../../protocol/index.ts";
import { PiiFinding, REVIEW_SOURCES, REVIEW_STATUSES, ReviewItem } from "../../protocol/review.ts";
import { TailorError } from "../errors/index.ts";

export interface ItemRow {
  seq: number;
  id: string;
  created_at: number;
  status: string;
  source: string;
  source_id: string;
  message_id: string;
  model: string;
  resolved_model: string;
  owner: string;
  question_json: string;
  answer: string;
  feedback_json: string;
  proposed: string | null;
  final_answer: string | null;
  reviewer: string | null;
  decided_at: number | null;
  note: string | null;
  pii_json: string;
  redacted: number;
  used_in: string | null;
}

export const newItemId = (): string => `rev_${randomBytes(12).toString("hex")}`;
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

const Question = z.array(ChatMessage);
const Feedback = ReviewItem.shape.feedback;
const Findings = z.array(PiiFinding);

function parsed<T>(schema: z.ZodType<T>, json: string, id: string, column: string): T {
  const r = schema.safeParse(JSON.parse(json));
  if (r.success) return r.data;
  throw new TailorError({
    code: "internal",
    message: `review item ${id}: its stored ${column} does not parse (${r.error.issues[0]?.message}); the database was changed by hand`,
  });
}

export function itemOf(r: ItemRow): ReviewItem {
  return {
    id: r.id,
    object: "review.item",
    created_at: r.created_at,
    status: z.enum(REVIEW_STATUSES).parse(r.status),
    source: z.enum(REVIEW_SOURCES).parse(r.source),
    source_id: r.source_id,
    message_id: r.message_id === "" ? null : r.message_id,
    model: r.model,
    resolved_model: r.resolved_model,
    owner: r.owner,
    question: parsed(Question, r.question_json, r.id, "question"),
    answer: r.answer,
    feedback: parsed(Feedback, r.feedback_json, r.id, "feedback"),
    proposed: r.proposed,
    final_answer: r.final_answer,
    reviewer: r.reviewer,
    decided_at: r.decided_at,
    note: r.note,
    pii: parsed(Findings, r.pii_json, r.id, "pii"),
    redacted: r.redacted === 1,
    used_in: r.used_in,
  };
}

/**
 * What the feedback proposes as the right answer: the correction when there is one; else the
 * answer itself when it was rated up, not marked wrong and has text; else nothing (a reviewer must write it).
 */
export function proposedOf(answer: string, feedback: ReviewItem["feedback"]): string | null {
  if (feedback.correction !== null && feedback.correction.trim() !== "") return feedback.correction;
  // an answer that only called functions has no text to learn
  if (feedback.rating === "up" && !feedback.wrong && answer.trim() !== "") return answer;
  return null;
}

/** "accepted by alice on 2026-12-02 14:47 UTC" */
export function decidedBy(item: ReviewItem): string {
  const when =
    item.decided_at === null
      ? "at an unknown time"
      : `on ${new Date(item.decided_at * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC`;
  return `${item.status} by ${item.reviewer ?? "someone"} ${when}`;
}
