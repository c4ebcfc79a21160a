/**
 * Feedback under one of the playground's answers (kept because the playground asks with
 * `store: true`): thumbs up or down, and "What should it have said?" with the right answer. It goes
 * to the chat API's feedback route and waits for a reviewer on the Review page.
 */
import { type FormEvent, useId, useState } from "react";
import type { StoredChatCompletion } from "../../../../protocol/api/completions.ts";
import { api, words } from "../../api.ts";
import "./feedback.css";

/** A thumb drawn here, so that it shows without an emoji font. */
function Thumb({ down = false }: { down?: boolean }) {
  return (
    <svg
      viewBox="0 0 24 24"
      width="18"
      height="18"
      aria-hidden="true"
      focusable="false"
      className={down ? "down" : undefined}
    >
      <path
        d="M2 10h4v11H2zM8 21h9.5a2 2 0 0 0 2-1.6l1.4-7A2 2 0 0 0 19 10h-5.2l.8-4.1A2 2 0 0 0 12.7 3.5L8 9z"
        fill="currentColor"
      />
    </svg>
  );
}

/** The server's words as a sentence: a capital first, a full stop last. */
const sentence = (s: string) =>
  `${s.charAt(0).toUpperCase()}${s.slice(1)}${/[.!?]$/.test(s) ? "" : "."}`;

type Body = { rating?: "up" | "down" | null; wrong?: boolean; correction?: string };

const send = (id: string, body: Body) =>
  api<StoredChatCompletion>(`/v1/chat/completions/${encodeURIComponent(id)}/feedback`, { body });

export function Feedback({ completionId, model }: { completionId: string; model: string }) {
  const [saved, setSaved] = useState<StoredChatCompletion["tailor"]["feedback"]>(null);
  const [open, setOpen] = useState(false);
  const [correction, setCorrection] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [said, setSaid] = useState("");
  const id = useId();
  const rating = saved?.rating ?? null;

  const go = async (body: Body, done: string) => {
    setError(null);
    setSaid("");
    try {
      const c = await send(completionId, body);
      setSaved(c.tailor.feedback);
      // the server says what became of the review item (filed, updated, or already decided)
      setSaid(c.tailor.review_item ? `${done} ${sentence(c.tailor.review_item.message)}` : done);
      return true;
    } catch (e) {
      setError(words(e));
      return false;
    }
  };
  const rate = (r: "up" | "down") =>
    void go(
      { rating: rating === r ? null : r },
      rating === r ? "Rating taken back." : "Rating saved.",
    );
  const correct = async (e: FormEvent) => {
    e.preventDefault();
    const text = correction.trim();
    if (!text) return;
    if (await go({ rating: "down", wrong: true, correction: text }, "Correction saved."))
      setOpen(false);
  };

  return (
    <div className="play-feedback" data-testid="answer-feedback">
      <div className="play-feedback-row">
        <button
          type="button"
          className="thumb"
          aria-label={`Good answer (${model})`}
          aria-pressed={rating === "up"}
          onClick={() => rate("up")}
        >
          <Thumb />
        </button>
        <button
          type="button"
          className="thumb"
          aria-label={`Bad answer (${model})`}
          aria-pressed={rating === "down"}
          onClick={() => rate("down")}
        >
          <Thumb down />
        </button>
        <button
          type="button"
          className="link"
          aria-expanded={open}
          aria-controls={`${id}-fix`}
          onClick={() => setOpen(!open)}
        >
          {saved?.correction ? "Change what it should have said" : "What should it have said?"}
        </button>
      </div>
      {open && (
        <form id={`${id}-fix`} className="play-correction" onSubmit={(e) => void correct(e)}>
          <label htmlFor={`${id}-text`}>What should it have said? ({model})</label>
          <textarea
            id={`${id}-text`}
            rows={3}
            maxLength={8000}
            value={correction}
            aria-describedby={error ? `${id}-error` : undefined}
            aria-invalid={error ? true : undefined}
            onChange={(e) => setCorrection(e.target.value)}
          />
          <div className="play-feedback-row">
            <button type="submit" className="primary" disabled={!correction.trim()}>
              Send the correction
            </button>
            <button type="button" className="secondary" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {error && (
        <p className="field-error" id={`${id}-error`} role="alert">
          {error}
        </p>
      )}
      {said && !error && (
        <p className="hint" role="status">
          {said}
        </p>
      )}
    </div>
  );
}
