import { useCallback, useEffect, useState } from "react";
import { type EvaluationReport, METRICS, type MetricName } from "../../../protocol/evals.ts";
import { ApiError, api, type Model, text } from "../api.ts";
import { Empty, ErrorBox, Loading } from "../ui.tsx";
import { ExportPanel } from "./export/ExportPanel.tsx";
import { Serving } from "./export/Serving.tsx";
import { GeneralAbilities } from "./results/GeneralAbilities.tsx";
import { WhoItIsAbout } from "./results/WhoItIsAbout.tsx";
import type { PageProps } from "./types.ts";

const pct = (v: number | undefined) => (v === undefined ? "–" : `${(v * 100).toFixed(0)}%`);
const metricValue = (m: MetricName, v: number | undefined) =>
  m === "length_ratio" ? (v === undefined ? "–" : v.toFixed(2)) : pct(v);

export function Results({ flow, update, go }: PageProps) {
  const model = flow.model;
  const [info, setInfo] = useState<Model | null>(null);
  const [report, setReport] = useState<EvaluationReport | null | "none">(null);
  const [card, setCard] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    if (!model) return;
    setError(null);
    try {
      setInfo(await api<Model>(`/v1/models/${encodeURIComponent(model)}`));
      try {
        setReport(
          await api<EvaluationReport>(`/v1/models/${encodeURIComponent(model)}/evaluation`),
        );
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) setReport("none");
        else throw e;
      }
      try {
        setCard(await text(`/v1/models/${encodeURIComponent(model)}/card?format=markdown`));
      } catch {
        setCard(null);
      }
    } catch (e) {
      setError(e);
    }
  }, [model]);
  useEffect(() => void load(), [load]);

  if (!model)
    return (
      <section>
        <h1>5. Results</h1>
        <Empty title="No trained model yet">
          Results appear when training has finished.{" "}
          <button type="button" className="link" onClick={() => go("/training")}>
            Go to training
          </button>
        </Empty>
      </section>
    );

  // a new job that starts from this model's adapter: new examples first, then its settings
  const improve = () => {
    update({
      base: model,
      fileId: null,
      fileName: null,
      advanced: null,
      suffix: model.startsWith("ft:") ? (model.split(":")[2] ?? "") : "",
      jobId: null,
      model: null,
      notice: `Add the new examples for ${model}: training will continue from it, keeping what it learned.`,
    });
    go("/examples");
  };

  const promotion = info?.tailor.promotion;
  const ev = report && report !== "none" ? report : null;
  const [tuned, base] = ev ? [ev.models[0], ev.models[1]] : [undefined, undefined];
  return (
    <section aria-labelledby="h-results">
      <h1 id="h-results">5. Results</h1>
      <p className="lead">
        How <strong>{model}</strong> answers the examples it never saw in training, next to the base
        model it started from.
        {info?.tailor.parent && (
          <>
            {" "}
            It continued training <strong>{info.tailor.parent.id}</strong>
            {info.tailor.parent.deleted ? " (since deleted)" : ""} on new examples.
          </>
        )}
      </p>
      {info && <Serving model={info} />}
      {error !== null && <ErrorBox error={error} retry={load} />}
      {!info && error === null && <Loading what="Loading the model…" />}

      {promotion ? (
        <div
          className={`state ${promotion.status === "ready" ? "ok" : "warn"}`}
          data-testid="promotion"
        >
          <strong>
            {promotion.status === "ready" ? "Ready to use." : "Needs a review before use."}
          </strong>{" "}
          {promotion.reason}
        </div>
      ) : (
        info && (
          <div className="state empty" data-testid="promotion">
            <strong>Not judged yet.</strong> Tailor decides whether a model is ready once it has
            been evaluated on held-back examples.
          </div>
        )
      )}

      {report === null && info && <Loading what="Loading the evaluation…" />}
      {report === "none" && (
        <Empty title="No evaluation for this model">
          Tailor evaluates a model when it was trained with examples held back for checking (it
          holds back 10% by itself from 30 examples on). With fewer examples there is nothing fair
          to test it on; chat with it in the{" "}
          <button type="button" className="link" onClick={() => go("/playground")}>
            playground
          </button>{" "}
          to judge it yourself.
        </Empty>
      )}
      {ev && tuned && (
        <div data-testid="comparison">
          {ev.outcome && (
            <p
              className={`verdict ${ev.outcome.wins > ev.outcome.losses ? "good" : ev.outcome.losses > ev.outcome.wins ? "bad" : ""}`}
            >
              On {ev.data.examples} held-back examples the tuned model did better{" "}
              <strong>{ev.outcome.wins}</strong> times, the same {ev.outcome.ties} times and worse{" "}
              <strong>{ev.outcome.losses}</strong> times than the base model.
            </p>
          )}
          <table className="metrics">
            <caption>Scores (higher is better, except length ratio, best at 1)</caption>
            <thead>
              <tr>
                <th scope="col">Measure</th>
                <th scope="col">Tuned</th>
                {base && <th scope="col">Base</th>}
              </tr>
            </thead>
            <tbody>
              {(Object.keys(tuned.metrics) as MetricName[]).map((m) => (
                <tr key={m} className={m === ev.primary_metric ? "primary-row" : undefined}>
                  <th scope="row">
                    {METRICS[m].split(":")[0]}
                    <span className="hint">{METRICS[m].split(":").slice(1).join(":").trim()}</span>
                  </th>
                  <td>{metricValue(m, tuned.metrics[m])}</td>
                  {base && <td>{metricValue(m, base.metrics[m])}</td>}
                </tr>
              ))}
            </tbody>
          </table>
          <h2>Side by side</h2>
          <div className="table-scroll">
            <table className="examples">
              <thead>
                <tr>
                  <th scope="col">Question</th>
                  <th scope="col">Your answer</th>
                  <th scope="col">Tuned model</th>
                  {base && <th scope="col">Base model</th>}
                  {ev.outcome && <th scope="col">Result</th>}
                </tr>
              </thead>
              <tbody>
                {ev.examples.slice(0, 50).map((x) => (
                  <tr key={x.line}>
                    <td>{x.prompt}</td>
                    <td>{x.expected}</td>
                    <td>{x.outputs[0]}</td>
                    {base && <td>{x.outputs[1]}</td>}
                    {ev.outcome && (
                      <td className={`outcome ${x.outcome ?? ""}`}>
                        {x.outcome === "win" ? "better" : x.outcome === "loss" ? "worse" : "same"}
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {ev.bias && <WhoItIsAbout probe={ev.bias} />}
          {ev.forgetting && <GeneralAbilities check={ev.forgetting} />}
        </div>
      )}

      <h2>Model card</h2>
      {card ? (
        <details>
          <summary>What this model is, how it was made, and what it should not be used for</summary>
          <pre className="card-md">{card}</pre>
        </details>
      ) : (
        <Empty title="No model card yet">
          A model card is written when the model is evaluated.
        </Empty>
      )}
      {info && !info.tailor.classifier && <ExportPanel model={info.id} />}
      <div className="actions">
        <button type="button" className="primary" onClick={() => go("/playground")}>
          Try it in the playground
        </button>
        <button type="button" className="secondary" onClick={improve}>
          Improve this model with new examples
        </button>
      </div>
    </section>
  );
}
