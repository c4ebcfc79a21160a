/**
 * How `tailor review` and `tailor models regression` show review items and regression examples to
 * a person: a short line each in lists, every part of one item in `show`, personal data as its kind,
 * where it is and a masked excerpt.
 */
import type { RegressionExample, ReviewItem } from "../../../protocol/review.ts";
import { decidedBy } from "../../review/index.ts";
import { table } from "../output.ts";

const when = (s: number) => new Date(s * 1000).toISOString().slice(0, 16).replace("T", " ");
const cut = (s: string, n: number) => {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
};

/** The question the answer answers: the last user message (or the last message). */
const questionOf = (messages: ReviewItem["question"]) =>
  [...messages].reverse().find((m) => m.role === "user")?.content ?? messages.at(-1)?.content ?? "";

export function ratingOf(f: ReviewItem["feedback"]): string {
  const parts = [
    f.rating === "up" ? "up" : f.rating === "down" ? "down" : null,
    f.wrong ? "wrong" : null,
    f.correction !== null ? "corrected" : null,
  ].filter((p) => p !== null);
  return parts.length ? parts.join(", ") : "comment";
}

export function itemsTable(items: ReviewItem[]): string {
  return table([
    ["ID", "STATUS", "MODEL", "FEEDBACK", "QUESTION", "PROPOSED"],
    ...items.map((i) => [
      i.id,
      i.status,
      i.model === i.resolved_model ? i.model : `${i.model} (${i.resolved_model})`,
      ratingOf(i.feedback),
      cut(questionOf(i.question), 40),
      i.status === "accepted" && i.final_answer !== null
        ? cut(i.final_answer, 40)
        : i.proposed === null
          ? "(none: edit it with --answer, or reject it)"
          : cut(i.proposed, 40),
    ]),
  ]);
}

export function piiLines(item: ReviewItem): string[] {
  if (!item.pii.length) return ["personal data: none found"];
  return [
    `personal data found (${item.pii.length}):`,
    ...item.pii.map((f) => `  ${f.kind} in the ${f.where.replace("_", " ")}: ${f.excerpt}`),
    ...(item.used_in === null ? [`  tailor review redact ${item.id} replaces it`] : []),
  ];
}

const indent = (text: string) =>
  text
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n");

export function itemText(item: ReviewItem): string {
  const f = item.feedback;
  const lines = [
    `${item.id}: ${item.status}, ${item.source === "completion" ? "chat completion" : "conversation"} ${item.source_id}${item.message_id ? ` (answer ${item.message_id})` : ""}, filed ${when(item.created_at)}`,
    `model: ${item.model}${item.model === item.resolved_model ? "" : ` (answered by ${item.resolved_model})`}, owner ${item.owner}${item.redacted ? ", personal data redacted" : ""}`,
    "question:",
    ...item.question.map((m) => indent(`${m.role}: ${m.content}`)),
    "answer:",
    indent(item.answer),
    `feedback: ${ratingOf(f)}${f.comment ? ` "${f.comment}"` : ""}`,
    ...(f.correction !== null ? ["correction:", indent(f.correction)] : []),
    item.proposed === null
      ? "proposed: nothing (rated down with no correction: write the right answer with `tailor review edit`, or reject it)"
      : item.proposed === item.answer
        ? "proposed: the answer as it is (rated up)"
        : "proposed: the correction",
  ];
  if (item.status !== "pending") {
    lines.push(decidedBy(item) + (item.note ? `: ${item.note}` : ""));
    if (item.final_answer !== null && item.final_answer !== item.proposed)
      lines.push("final answer (edited):", indent(item.final_answer));
    if (item.status === "accepted")
      lines.push(
        item.used_in === null
          ? "not yet in a dataset (the next retrain of its model name takes it)"
          : `in dataset version ${item.used_in}`,
      );
  }
  lines.push(...piiLines(item));
  return lines.join("\n");
}

export function examplesTable(examples: RegressionExample[]): string {
  return table([
    ["ID", "QUESTION", "EXPECTED", "PINNED BY", "NOTE"],
    ...examples.map((e) => [
      e.id,
      cut(questionOf(e.messages), 40),
      cut(e.expected, 40),
      `${e.pinned_by} ${when(e.pinned_at)}`,
      e.note ? cut(e.note, 30) : "",
    ]),
  ]);
}
