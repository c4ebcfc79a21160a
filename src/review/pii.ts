/**
 * Personal data in a review item: what the reviewer is shown (each finding's kind, where it is and
 * a masked excerpt, never the value itself) and the redaction that replaces it with typed
 * placeholders ("[EMAIL]", "[PHONE_2]") shared by the question, the answer, the feedback, the
 * proposed and the final answer, so the example still reads coherently (src/safety's redaction,
 * as conversations-redact.ts uses it). The structured kinds are found synchronously (filing
 * feedback must not wait for an engine); people's names need the engine's NameFinder.
 */
import type { ChatMessage } from "../../protocol/index.ts";
import type { ReviewItem } from "../../protocol/review.ts";
import {
  findPii,
  findPiiBatch,
  type NameFinder,
  type PiiFinding,
  redactFound,
} from "../safety/index.ts";

type Found = ReviewItem["pii"][number];

/** The parts of an item that may hold personal data, as the reviewer sees them. */
export interface ItemTexts {
  question: ChatMessage[];
  answer: string;
  proposed: string | null;
  final_answer: string | null;
}

/** The text masked except its first and last characters ("a***********m"). */
export function masked(text: string): string {
  const chars = [...text];
  if (chars.length <= 2) return "*".repeat(chars.length);
  return `${chars[0]}${"*".repeat(chars.length - 2)}${chars[chars.length - 1]}`;
}

interface Located {
  where: string;
  text: string;
}

/**
 * Where each text is, in a fixed order: every question message, the answer, then the proposed and
 * the final answer unless they repeat the answer (a thumbs-up proposes the answer itself).
 */
function located(t: ItemTexts): Located[] {
  const out: Located[] = t.question.map((m) => ({ where: "question", text: m.content }));
  out.push({ where: "answer", text: t.answer });
  if (t.proposed !== null && t.proposed !== t.answer)
    out.push({ where: "proposed", text: t.proposed });
  if (t.final_answer !== null && t.final_answer !== t.answer && t.final_answer !== t.proposed)
    out.push({ where: "final_answer", text: t.final_answer });
  return out;
}

function report(places: Located[], found: PiiFinding[][]): Found[] {
  return places.flatMap((p, i) =>
    (found[i] ?? []).map((f) => ({ kind: f.type, where: p.where, excerpt: masked(f.text) })),
  );
}

/** The structured kinds (e-mails, phone numbers, cards, IBANs, national ids, IPs, secrets). */
export function findItemPii(t: ItemTexts): Found[] {
  const places = located(t);
  return report(
    places,
    places.map((p) => findPii(p.text)),
  );
}

/** Everything findItemPii finds, and people's names when `names` is given. */
export async function findItemPiiWithNames(
  t: ItemTexts,
  names: NameFinder | null,
  signal?: AbortSignal,
): Promise<Found[]> {
  const places = located(t);
  return report(
    places,
    await findPiiBatch(
      places.map((p) => p.text),
      { names, signal },
    ),
  );
}

/** What redaction rewrites: the item's texts and its feedback's comment and correction. */
export type Redactable = ItemTexts & { feedback: ReviewItem["feedback"] };

/**
 * The item's texts with personal data replaced, one placeholder per value across all of them;
 * `replaced` counts the occurrences per kind.
 */
export async function redactItem(
  item: Redactable,
  names: NameFinder | null,
  signal?: AbortSignal,
): Promise<{ item: Redactable; replaced: Record<string, number> }> {
  const { question, answer, proposed, final_answer, feedback } = item;
  const texts = [
    ...question.map((m) => m.content),
    answer,
    proposed ?? "",
    final_answer ?? "",
    feedback.comment ?? "",
    feedback.correction ?? "",
  ];
  const found = await findPiiBatch(texts, { names, signal });
  const r = redactFound(texts, found);
  let i = 0;
  const next = () => r.texts[i++] ?? "";
  const nextOrNull = (was: string | null) => {
    const text = next();
    return was === null ? null : text;
  };
  const out: Redactable = {
    question: question.map((m) => ({ ...m, content: next() })),
    answer: next(),
    proposed: nextOrNull(proposed),
    final_answer: nextOrNull(final_answer),
    feedback: { ...feedback },
  };
  out.feedback.comment = nextOrNull(feedback.comment);
  out.feedback.correction = nextOrNull(feedback.correction);
  const replaced: Record<string, number> = {};
  for (const [k, n] of Object.entries(r.replaced)) if (typeof n === "number") replaced[k] = n;
  return { item: out, replaced };
}
