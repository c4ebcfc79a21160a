/**
 * One answer: its text (as it streams), the functions it used (name and how it went), its sources
 * (file and place, the passage behind a click) and the visitor's feedback: thumbs up or down, and
 * "This answer was wrong" with what it should have said.
 */
import { type FormEvent, useId, useState } from "react";
import { type ShareMessage, type Source, sendFeedback } from "./api.ts";

export interface Shown {
  key: string;
  /** The stored message's id (null until the server has kept it). */
  id: string | null;
  role: "user" | "assistant";
  content: string;
  sources: Source[];
  /** "running" while a call is being made. */
  calls: { call_id: string; name: string; status: string }[];
  feedback: ShareMessage["feedback"];
  finish_reason: string | null;
  streaming: boolean;
  error: string | null;
}

const CALL_WORDS: Record<string, string> = {
  running: "working…",
  ok: "done",
  http_error: "failed",
  refused: "not allowed",
  invalid_arguments: "failed",
  timeout: "took too long",
  too_large: "answer too long",
  failed: "failed",
  limit: "skipped",
  client: "skipped",
};

/** A thumb drawn here, so that it shows without an emoji font. */
function Thumb({ down = false }: { down?: boolean }) {
  return (
    <svg
      viewBox="0 0 24 24"
      width="20"
      height="20"
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

export const sourceTitle = (s: Source) =>
  `[${s.index}] ${s.filename}${s.location ? `, ${s.location}` : ""}`;

export function Answer({
  message: m,
  conversation,
  onChange,
}: {
  message: Shown;
  conversation: string | null;
  onChange: (m: Shown) => void;
}) {
  const empty = !m.streaming && !m.content.trim() && !m.error;
  return (
    <li className="message assistant" aria-busy={m.streaming || undefined}>
      <span className="sr-only">The assistant answered: </span>
      <div className={`bubble${m.finish_reason === "content_filter" ? " filtered" : ""}`}>
        {m.content}
        {m.streaming && !m.content && <span className="typing">Writing…</span>}
        {empty && <span className="muted">(no answer)</span>}
      </div>
      {m.error && (
        <p className="share-error" role="alert">
          {m.error}
        </p>
      )}
      {m.calls.length > 0 && (
        <ul className="calls" aria-label="What the assistant looked up">
          {m.calls.map((c) => (
            <li key={c.call_id} className={`call ${c.status}`}>
              Used <code>{c.name}</code>: {CALL_WORDS[c.status] ?? c.status}
            </li>
          ))}
        </ul>
      )}
      {m.sources.length > 0 && (
        <section className="sources" aria-label="Sources">
          <h3>Sources</h3>
          {m.sources.map((s) => (
            <details key={`${s.index}-${s.file_id}-${s.chunk}`}>
              <summary>{sourceTitle(s)}</summary>
              <blockquote>{s.text}</blockquote>
            </details>
          ))}
        </section>
      )}
      {m.id && conversation && !m.streaming && (
        <Feedback message={m} conversation={conversation} onChange={onChange} />
      )}
    </li>
  );
}

function Feedback({
  message: m,
  conversation,
  onChange,
}: {
  message: Shown;
  conversation: string;
  onChange: (m: Shown) => void;
}) {
  const [open, setOpen] = useState(false);
  const [correction, setCorrection] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [thanks, setThanks] = useState(false);
  const id = useId();
  const rating = m.feedback?.rating ?? null;
  const wrong = m.feedback?.wrong ?? false;

  const send = async (body: Parameters<typeof sendFeedback>[2]) => {
    if (!m.id) return;
    setError(null);
    try {
      const saved = await sendFeedback(conversation, m.id, body);
      onChange({ ...m, feedback: saved.feedback });
      setThanks(true);
      return true;
    } catch (e) {
      setError((e as Error).message);
      return false;
    }
  };
  const rate = (r: "up" | "down") => void send({ rating: rating === r ? null : r });
  const report = async (e: FormEvent) => {
    e.preventDefault();
    const text = correction.trim();
    if (await send({ wrong: true, ...(text ? { correction: text } : {}) })) setOpen(false);
  };

  return (
    <div className="feedback">
      <div className="feedback-row">
        <button
          type="button"
          className="thumb"
          aria-label="Good answer"
          aria-pressed={rating === "up"}
          onClick={() => rate("up")}
        >
          <Thumb />
        </button>
        <button
          type="button"
          className="thumb"
          aria-label="Bad answer"
          aria-pressed={rating === "down"}
          onClick={() => rate("down")}
        >
          <Thumb down />
        </button>
        {wrong ? (
          <span className="muted">You said this answer was wrong.</span>
        ) : (
          <button
            type="button"
            className="quiet"
            aria-expanded={open}
            aria-controls={`${id}-wrong`}
            onClick={() => setOpen(!open)}
          >
            This answer was wrong
          </button>
        )}
      </div>
      {open && !wrong && (
        <form id={`${id}-wrong`} className="wrong" onSubmit={(e) => void report(e)}>
          <label htmlFor={`${id}-correction`}>What should it have said? (optional)</label>
          <textarea
            id={`${id}-correction`}
            rows={3}
            maxLength={8000}
            value={correction}
            onChange={(e) => setCorrection(e.target.value)}
          />
          <div className="feedback-row">
            <button type="submit" className="primary">
              Send feedback
            </button>
            <button type="button" className="quiet" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {error && (
        <p className="share-error" role="alert">
          {error}
        </p>
      )}
      {thanks && !error && (
        <p className="muted" role="status">
          Thank you: the assistant's owner will see this.
        </p>
      )}
    </div>
  );
}
