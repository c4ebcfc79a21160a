import { useCallback, useEffect, useState } from "react";
import { api, type Card, type Plan } from "../api.ts";
import { duration, Empty, ErrorBox, GLOSSARY, Hint, Loading, size } from "../ui.tsx";
import type { PageProps } from "./types.ts";

type Estimate =
  | { state: "measuring" }
  | { state: "done"; plan: Plan }
  | { state: "error"; error: unknown };

export function BaseModel({ flow, update, go }: PageProps) {
  const [cards, setCards] = useState<Card[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [estimates, setEstimates] = useState<Record<string, Estimate>>({});

  const load = useCallback(async () => {
    setError(null);
    try {
      setCards((await api<{ data: Card[] }>("/v1/fine_tuning/base_models")).data);
    } catch (e) {
      setError(e);
    }
  }, []);
  useEffect(() => void load(), [load]);

  const estimate = useCallback(
    async (model: string) => {
      if (!flow.fileId) return;
      setEstimates((m) => ({ ...m, [model]: { state: "measuring" } }));
      try {
        const plan = await api<Plan>("/v1/fine_tuning/plan", {
          body: { model, training_file: flow.fileId },
        });
        setEstimates((m) => ({ ...m, [model]: { state: "done", plan } }));
      } catch (e) {
        setEstimates((m) => ({ ...m, [model]: { state: "error", error: e } }));
      }
    },
    [flow.fileId],
  );

  // the chosen model (or else the first, smallest one) is measured without asking
  const chosen = flow.base ?? cards?.find((c) => c.offline)?.id ?? null;
  useEffect(() => {
    if (chosen && !flow.base) update({ base: chosen });
    if (chosen && !estimates[chosen]) void estimate(chosen);
  }, [chosen, flow.base, estimates, estimate, update]);

  // a fine-tuned model chosen to improve ("Improve this model" on its results) is not a base card
  const continuing =
    cards && chosen && !cards.some((c) => c.id === chosen)
      ? (estimates[chosen] ?? { state: "measuring" })
      : null;

  return (
    <section aria-labelledby="h-base">
      <h1 id="h-base">2. Choose a base model</h1>
      {flow.notice && (
        <div className="state ok" role="status">
          {flow.notice}
        </div>
      )}
      <p className="lead">
        A base model already knows language; fine-tuning teaches it your way of answering. Smaller
        models train and answer faster; larger ones understand more.
      </p>
      <Hint>{GLOSSARY.parameters}</Hint>
      {!flow.fileId && (
        <Empty title="No examples chosen yet">
          Times are estimated for your examples, so{" "}
          <button type="button" className="link" onClick={() => go("/examples")}>
            add your examples first
          </button>
          .
        </Empty>
      )}
      {error !== null && <ErrorBox error={error} retry={load} />}
      {!cards && error === null && <Loading what="Looking for base models on this computer…" />}
      {cards?.length === 0 && (
        <Empty title="No base models here">
          Run <code>tailor models create-tiny tiny</code> for a quick test model.
        </Empty>
      )}
      {cards && cards.length > 0 && (
        <fieldset className="cards">
          <legend className="sr-only">Base model</legend>
          {continuing && chosen && (
            <label className="card chosen" data-testid="continuing">
              <input type="radio" name="base" value={chosen} checked readOnly />
              <span className="card-title">{chosen}</span>
              <span className="badges">
                <span className="badge good">improving this model</span>
              </span>
              <span>
                Training continues from this fine-tuned model, on its base and with its LoRA rank,
                so it keeps what it learned. Choose a base model below to start afresh instead.
              </span>
              <span className="estimate">
                {continuing.state === "done" ? (
                  <>
                    Training on your examples: about{" "}
                    <strong>{duration(continuing.plan.estimated_seconds)}</strong> on this computer
                  </>
                ) : continuing.state === "error" ? (
                  <span className="error-text">
                    Could not plan it: {(continuing.error as Error).message}
                  </span>
                ) : (
                  <span role="status">Measuring on this computer…</span>
                )}
              </span>
            </label>
          )}
          {cards.map((c) => {
            const est = estimates[c.id];
            return (
              <label key={c.id} className={`card${chosen === c.id ? " chosen" : ""}`}>
                <input
                  type="radio"
                  name="base"
                  value={c.id}
                  checked={chosen === c.id}
                  onChange={() => update({ base: c.id })}
                />
                <span className="card-title">{c.id}</span>
                <span className="badges">
                  {c.offline ? (
                    <span className="badge good">works offline</span>
                  ) : (
                    <span className="badge">downloads first</span>
                  )}
                  <span className="badge">{size(c.parameters)}</span>
                  <span className="badge">
                    {c.languages.length ? c.languages.join(", ") : "no real language"}
                  </span>
                </span>
                <span>{c.good_at}</span>
                <span className="estimate">
                  {!flow.fileId ? (
                    "Training time: add examples to estimate it"
                  ) : est?.state === "done" ? (
                    <>
                      Training on your examples: about{" "}
                      <strong>{duration(est.plan.estimated_seconds)}</strong> on this computer
                    </>
                  ) : est?.state === "measuring" ? (
                    <span role="status">
                      Measuring on this computer… (the first time takes up to a minute)
                    </span>
                  ) : est?.state === "error" ? (
                    <span className="error-text">
                      Could not measure: {(est.error as Error).message}
                    </span>
                  ) : (
                    <button
                      type="button"
                      className="link"
                      onClick={(e) => {
                        e.preventDefault();
                        void estimate(c.id);
                      }}
                    >
                      How long would it take? (measures for up to a minute)
                    </button>
                  )}
                </span>
              </label>
            );
          })}
        </fieldset>
      )}
      <div className="actions">
        <button type="button" className="secondary" onClick={() => go("/examples")}>
          Back
        </button>
        <button
          type="button"
          className="primary"
          disabled={!chosen || !flow.fileId}
          onClick={() => go("/settings")}
        >
          Continue: settings
        </button>
      </div>
    </section>
  );
}
