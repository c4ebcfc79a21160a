import { Fragment, useEffect, useRef } from "react";
import { chunkLink } from "../../api.ts";
import { Feedback } from "./Feedback.tsx";
import { ToolCard } from "./ToolCard.tsx";
import { type Turn, waiting } from "./tools.ts";

/**
 * One side of the comparison: a model's answers, as they stream in, with their sources; a call to
 * a function shows as a card that takes its result. Under each finished answer: thumbs and "What
 * should it have said?" (Feedback).
 */
export function Chat({
  model,
  turns,
  pending,
  label,
  onResult,
}: {
  model: string;
  turns: Turn[];
  pending: boolean;
  label: string;
  /** The user typed the result of call `callId`. */
  onResult: (callId: string, result: string) => void;
}) {
  const open = new Set(pending ? [] : waiting(turns).map((c) => c.id));
  const log = useRef<HTMLDivElement>(null);
  // the latest answer, or the card waiting for a result, stays in view
  useEffect(() => {
    if (log.current && turns.length) log.current.scrollTop = log.current.scrollHeight;
  }, [turns]);
  return (
    <div ref={log} className="chat" aria-label={`${label}: ${model}`} role="log" aria-live="polite">
      <h3>
        {label} <span className="model-name">{model}</span>
      </h3>
      {turns.length === 0 && <p className="muted">Ask something below to see how it answers.</p>}
      {turns.map((t, i) =>
        t.role === "tool" ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: turns are only ever appended
          <p key={`${i}-tool`} className="turn tool">
            <span className="muted">result of {t.name}:</span> {t.content}
          </p>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: turns are only ever appended
          <Fragment key={`${i}-${t.role}`}>
            <div className={`turn ${t.role}`}>
              <span className="sr-only">{t.role === "user" ? "You:" : "Model:"}</span>
              {t.content || (pending && i === turns.length - 1 && !t.calls?.length ? "…" : "")}
              {t.calls?.map((c) => (
                <ToolCard
                  key={c.id || c.name}
                  call={c}
                  model={model}
                  onResult={open.has(c.id) ? (r) => onResult(c.id, r) : undefined}
                />
              ))}
              {t.nothingFound && (
                <span className="sources muted">
                  Nothing in your documents matched this question.
                </span>
              )}
              {t.citations && t.citations.length > 0 && (
                <span className="sources">
                  Sources:{" "}
                  {t.citations.map((c) => (
                    <a
                      key={c.index}
                      href={chunkLink(c)}
                      target="_blank"
                      rel="noreferrer"
                      title={c.text}
                    >
                      [{c.index}] {c.filename}
                      {c.location ? `, ${c.location}` : ""}
                    </a>
                  ))}
                </span>
              )}
            </div>
            {t.role === "assistant" && t.completionId && !(pending && i === turns.length - 1) && (
              <Feedback completionId={t.completionId} model={model} />
            )}
          </Fragment>
        ),
      )}
    </div>
  );
}
