/**
 * One review item as a reviewer reads it: the conversation up to the question, the model's answer,
 * the feedback, the answer the feedback proposes, the personal data found (marked, with Redact);
 * and the decision: Accept, Edit then accept (a text box), or Reject with an optional note. A
 * decided item says who decided, when, and what became the example.
 */
import { type FormEvent, useState } from "react";
import type { Principal } from "../../api.ts";
import { plural } from "../../ui.tsx";
import { placeError, saidOf } from "../assistants/errors.ts";
import { Field } from "../assistants/fields.tsx";
import { when } from "../assistants/Versions.tsx";
import { acceptItem, type ReviewItem, redactItem, rejectItem } from "./client.ts";
import { Decision } from "./Decision.tsx";
import { kindWords, Marked } from "./Marked.tsx";

const WHERE: Record<string, string> = {
  question: "the question",
  answer: "the model's answer",
  proposed: "the proposed answer",
  final_answer: "the accepted answer",
};

const ROLE: Record<ReviewItem["question"][number]["role"], string> = {
  system: "Instructions",
  user: "Question",
  assistant: "Earlier answer",
  tool: "Function result",
};

/** The feedback in words (no emoji: headless browsers and some screens have no emoji font). */
export function feedbackWords(f: ReviewItem["feedback"]): string[] {
  return [
    f.rating === "up" ? "Thumbs up" : f.rating === "down" ? "Thumbs down" : null,
    f.wrong ? "Marked wrong" : null,
    f.correction ? "Correction given" : null,
  ].filter((w): w is string => w !== null);
}

/** The last question asked (the item's question ends with it). */
export const lastQuestion = (item: ReviewItem): string =>
  item.question.filter((m) => m.role === "user").at(-1)?.content ?? "(no question)";

/** What a redaction replaced, in a sentence. */
function redactedWords(replaced: Record<string, number>): string {
  const kinds = Object.entries(replaced).filter(([, n]) => n > 0);
  const total = kinds.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return "No personal data was left to replace.";
  const what = kinds.map(([k, n]) => `${n} ${k.toLowerCase()}`).join(", ");
  return `Replaced ${plural(total, "piece")} of personal data (${what}) with tags like [EMAIL].`;
}

type Mode = "read" | "edit" | "reject";

export function ItemView({
  item,
  me,
  onChange,
  onClose,
}: {
  item: ReviewItem;
  me: Principal;
  onChange: (item: ReviewItem, said: string) => void;
  onClose: () => void;
}) {
  const [mode, setMode] = useState<Mode>("read");
  const [answer, setAnswer] = useState(item.proposed ?? "");
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const f = item.feedback;
  const pii = item.pii;
  // a thumbs-up proposes the answer itself: its findings are reported once, on the answer
  const inProposed = pii.filter(
    (p) => p.where === "proposed" || (item.proposed === item.answer && p.where === "answer"),
  );
  const canDecide = item.status === "pending" && me.role !== "viewer";

  const act = async (what: () => Promise<[ReviewItem, string]>) => {
    setBusy(true);
    setError(null);
    try {
      const [changed, said] = await what();
      setMode("read");
      onChange(changed, said);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const accept = () => act(async () => [await acceptItem(item.id, {}), "Accepted."]);
  const acceptEdited = (e: FormEvent) => {
    e.preventDefault();
    void act(async () => [
      await acceptItem(item.id, { answer, ...(note.trim() ? { note: note.trim() } : {}) }),
      "Accepted with your answer.",
    ]);
  };
  const reject = (e: FormEvent) => {
    e.preventDefault();
    void act(async () => [await rejectItem(item.id, note.trim() || null), "Rejected."]);
  };
  const redact = () =>
    act(async () => {
      const r = await redactItem(item.id);
      setAnswer(r.item.proposed ?? "");
      return [r.item, redactedWords(r.replaced)];
    });

  const placed = placeError(error, mode === "edit" ? ["answer", "note"] : ["note"]);
  const beside = (field: string) => (placed?.field === field ? placed.said : null);

  return (
    <article className="review-item" aria-labelledby="h-review-item" data-testid="review-item">
      <h3 id="h-review-item">{lastQuestion(item)}</h3>
      <p className="hint">
        Asked of <span className="mono">{item.model}</span>
        {item.resolved_model !== item.model && (
          <>
            {" "}
            (answered by <span className="mono">{item.resolved_model}</span>)
          </>
        )}{" "}
        · {when(item.created_at)} ·{" "}
        {item.source === "conversation"
          ? "an assistant's conversation"
          : "the API or the playground"}
      </p>

      {pii.length > 0 && (
        <div className="state warn review-pii-found" data-testid="pii">
          <p>
            <strong>Personal data found.</strong> Redact it before accepting, so that it never
            becomes a training example:
          </p>
          <ul>
            {pii.map((p, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: findings have no id
              <li key={i}>
                {kindWords(p.kind)} in {WHERE[p.where] ?? p.where}:{" "}
                <span className="mono">{p.excerpt}</span>
              </li>
            ))}
          </ul>
          {me.role !== "viewer" && (
            <button
              type="button"
              className="secondary"
              disabled={busy}
              onClick={() => void redact()}
            >
              Redact personal data
            </button>
          )}
        </div>
      )}
      {item.redacted && <p className="hint">Personal data was redacted: the tags show where.</p>}

      <h4>The conversation</h4>
      <ol className="review-turns">
        {item.question.map((m, i) => (
          <li
            // biome-ignore lint/suspicious/noArrayIndexKey: the messages of one question, in order
            key={i}
            className={`turn ${m.role === "user" ? "user" : m.role === "system" ? "system" : "assistant"}`}
          >
            <span className="review-who">{ROLE[m.role]}</span>
            <Marked text={m.content} found={pii.filter((p) => p.where === "question")} />
          </li>
        ))}
      </ol>

      <div className="review-grid">
        <section aria-labelledby="h-review-answer">
          <h4 id="h-review-answer">The model's answer</h4>
          <p className="turn assistant" data-testid="answer">
            {item.answer ? (
              <Marked text={item.answer} found={pii.filter((p) => p.where === "answer")} />
            ) : (
              <span className="muted">(no text)</span>
            )}
          </p>
        </section>
        <section aria-labelledby="h-review-feedback">
          <h4 id="h-review-feedback">Feedback</h4>
          <ul className="review-feedback" data-testid="feedback">
            {feedbackWords(f).map((w) => (
              <li key={w} className={w === "Thumbs up" ? "good" : "bad"}>
                {w}
              </li>
            ))}
            {f.comment && <li>“{f.comment}”</li>}
            {feedbackWords(f).length === 0 && !f.comment && <li className="muted">None</li>}
          </ul>
        </section>
      </div>

      <section aria-labelledby="h-review-proposed">
        <h4 id="h-review-proposed">Proposed answer</h4>
        {item.proposed !== null ? (
          <p className="turn review-proposed" data-testid="proposed">
            <Marked text={item.proposed} found={inProposed} />
          </p>
        ) : (
          <p className="muted" data-testid="proposed">
            Nothing proposed: it was rated down without a correction. Write the right answer (Edit,
            then accept), or reject it.
          </p>
        )}
      </section>

      {item.status !== "pending" && <Decision item={item} />}

      {canDecide && mode === "read" && (
        <div className="actions review-actions">
          <button
            type="button"
            className="primary"
            disabled={busy || item.proposed === null}
            onClick={() => void accept()}
          >
            Accept
          </button>
          <button
            type="button"
            className="secondary"
            disabled={busy}
            onClick={() => setMode("edit")}
          >
            Edit, then accept
          </button>
          <button
            type="button"
            className="danger"
            disabled={busy}
            onClick={() => setMode("reject")}
          >
            Reject
          </button>
          <button type="button" className="link" onClick={onClose}>
            Close
          </button>
        </div>
      )}
      {canDecide && mode === "edit" && (
        <form className="review-form" onSubmit={acceptEdited}>
          <Field
            id="review-answer"
            label="The answer it should give"
            error={beside("answer")}
            hint="This becomes the training example's answer."
            className="wide"
          >
            {(c) => (
              <textarea
                {...c}
                rows={5}
                value={answer}
                onChange={(e) => setAnswer(e.target.value)}
              />
            )}
          </Field>
          <Field id="review-note" label="Note (optional)" error={beside("note")} className="wide">
            {(c) => <input {...c} value={note} onChange={(e) => setNote(e.target.value)} />}
          </Field>
          <div className="actions">
            <button type="submit" className="primary" disabled={busy || !answer.trim()}>
              Accept this answer
            </button>
            <button type="button" className="secondary" onClick={() => setMode("read")}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {canDecide && mode === "reject" && (
        <form className="review-form" onSubmit={reject}>
          <Field
            id="review-reject-note"
            label="Why (optional)"
            error={beside("note")}
            hint="Kept with the item, for whoever reads it later."
            className="wide"
          >
            {(c) => <input {...c} value={note} onChange={(e) => setNote(e.target.value)} />}
          </Field>
          <div className="actions">
            <button type="submit" className="danger" disabled={busy}>
              Reject this answer
            </button>
            <button type="button" className="secondary" onClick={() => setMode("read")}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {item.status === "pending" && me.role === "viewer" && (
        <p className="hint">Only members and admins accept or reject; your key reads.</p>
      )}
      {error !== null && !placed && (
        <p className="field-error" role="alert">
          {saidOf(error)}
        </p>
      )}
      {item.status !== "pending" && (
        <div className="actions">
          <button type="button" className="secondary" onClick={onClose}>
            Close
          </button>
        </div>
      )}
    </article>
  );
}
