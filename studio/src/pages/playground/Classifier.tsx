import type { z } from "@hono/zod-openapi";
import { type FormEvent, useState } from "react";
import type { ClassificationResponse } from "../../../../protocol/api/index.ts";
import { api, type Model } from "../../api.ts";
import { Empty, ErrorBox, Hint, Loading, plural } from "../../ui.tsx";
import "./classifier.css";

type Classified = z.infer<typeof ClassificationResponse>;

/** Texts in the box: one per line, blank lines left out. */
const textsOf = (input: string) =>
  input
    .split("\n")
    .map((t) => t.trim())
    .filter(Boolean);

/**
 * Try a classifier: pick one, paste one text per line, and see each text's labels with their scores
 * as bars (the predicted labels marked), from POST /v1/classifications.
 */
export function ClassifierPlayground({
  models,
  model,
  onModel,
}: {
  /** Every model the caller may use; the classifiers among them are offered. */
  models: Model[];
  model: string | null;
  onModel: (id: string) => void;
}) {
  const classifiers = models.filter((m) => m.tailor.classifier);
  const chosen = classifiers.find((m) => m.id === model) ?? classifiers[0];
  const [input, setInput] = useState("");
  const [result, setResult] = useState<{ texts: string[]; out: Classified } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  if (!chosen)
    return (
      <Empty title="No classifier yet">
        Train one from a file of labelled messages: a CSV with the columns text and label.
      </Empty>
    );
  const labels = chosen.tailor.classifier?.labels ?? [];

  const classify = async (e: FormEvent) => {
    e.preventDefault();
    const texts = textsOf(input);
    if (!texts.length || busy) return;
    setBusy(true);
    setError(null);
    try {
      const out = await api<Classified>("/v1/classifications", {
        body: { model: chosen.id, input: texts },
      });
      setResult({ texts, out });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="classifier" data-testid="classifier-playground">
      <div className="field">
        <label htmlFor="classifier">Classifier</label>
        <select
          id="classifier"
          value={chosen.id}
          onChange={(e) => {
            setResult(null);
            onModel(e.target.value);
          }}
        >
          {classifiers.map((m) => (
            <option key={m.id} value={m.id}>
              {m.id}
            </option>
          ))}
        </select>
        <Hint>
          It sorts each text into {chosen.tailor.classifier?.multi_label ? "any of" : "one of"} its{" "}
          {plural(labels.length, "label")}: {labels.join(", ")}.
        </Hint>
      </div>
      <form onSubmit={(e) => void classify(e)}>
        <div className="field">
          <label htmlFor="texts">Messages to sort, one per line</label>
          <textarea
            id="texts"
            rows={5}
            value={input}
            placeholder="e.g. I was charged twice for my order"
            onChange={(e) => setInput(e.target.value)}
          />
        </div>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy || !textsOf(input).length}>
            {busy ? "Sorting…" : "Sort into labels"}
          </button>
        </div>
      </form>
      {busy && <Loading what="Sorting the messages…" />}
      {error !== null && <ErrorBox error={error} />}
      {result && !busy && (
        <ol className="classified" aria-label="Labels for each message">
          {result.out.data.map((d) => (
            <li key={d.index} data-testid="classified">
              <p className="classified-text">{result.texts[d.index]}</p>
              <p className="classified-label">
                {d.predicted.length ? (
                  <>
                    Label: <strong>{d.predicted.join(", ")}</strong>
                  </>
                ) : (
                  "No label reaches the threshold."
                )}
              </p>
              <ul className="scores">
                {d.labels.map((l) => (
                  <li key={l.label} className={d.predicted.includes(l.label) ? "predicted" : ""}>
                    <span className="score-label">{l.label}</span>
                    <span className="score-track" aria-hidden="true">
                      <span
                        className="score-bar"
                        style={{ width: `${(l.score * 100).toFixed(1)}%` }}
                      />
                    </span>
                    <span className="score-value">{(l.score * 100).toFixed(1)}%</span>
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ol>
      )}
      <details>
        <summary>Use it from your code</summary>
        <pre className="code">{`curl ${window.location.origin}/v1/classifications \\
  -H "Authorization: Bearer $TAILOR_API_KEY" -H "Content-Type: application/json" \\
  -d '${JSON.stringify({ model: chosen.id, input: ["I was charged twice"] })}'`}</pre>
        <p>
          Or on this computer: <code>tailor classify {chosen.id} emails.csv</code>
        </p>
      </details>
    </div>
  );
}
