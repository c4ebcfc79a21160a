import { type Citation, chunkLink } from "../../api.ts";

export interface Turn {
  role: "user" | "assistant";
  content: string;
  /** The passages the answer was given (with "Use my documents"). */
  citations?: Citation[];
  /** Retrieval found nothing relevant. */
  nothingFound?: boolean;
}

/** One side of the comparison: a model's answers, as they stream in, with their sources. */
export function Chat({
  model,
  turns,
  pending,
  label,
}: {
  model: string;
  turns: Turn[];
  pending: boolean;
  label: string;
}) {
  return (
    <div className="chat" aria-label={`${label}: ${model}`} role="log" aria-live="polite">
      <h3>
        {label} <span className="model-name">{model}</span>
      </h3>
      {turns.length === 0 && <p className="muted">Ask something below to see how it answers.</p>}
      {turns.map((t, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: turns are only ever appended
        <p key={`${i}-${t.role}`} className={`turn ${t.role}`}>
          <span className="sr-only">{t.role === "user" ? "You:" : "Model:"}</span>
          {t.content || (pending && i === turns.length - 1 ? "…" : "")}
          {t.nothingFound && (
            <span className="sources muted">Nothing in your documents matched this question.</span>
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
        </p>
      ))}
    </div>
  );
}
