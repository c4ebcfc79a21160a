/**
 * Retraining a model name with the answers reviewers accepted: a dry run says in words what it would
 * use (the accepted answers to train on and to hold out, a sample of the original examples so old
 * skills are kept, the pinned examples it must not break), then Start makes the dataset version and
 * the job, which continues from the version answering now; a link opens it on the Training page.
 */
import { useCallback, useEffect, useState } from "react";
import { ApiError, type Principal } from "../../api.ts";
import { ErrorBox, Loading, plural } from "../../ui.tsx";
import { type ModelName, type RetrainResponse, retrain } from "./client.ts";

/** The plan in sentences. */
export function planWords(p: RetrainResponse): string[] {
  const accepted = p.accepted.train.length + p.accepted.held_out.length;
  return [
    `It continues from version ${p.current.version} (${p.current.model}), the one answering now.`,
    `It learns from ${plural(p.accepted.train.length, "accepted answer")}${
      p.accepted.held_out.length
        ? ` and keeps ${plural(p.accepted.held_out.length, "other")} aside to check that the new version got them right`
        : ""
    } (${plural(accepted, "review")} in all).`,
    p.original_sample > 0
      ? `It mixes in ${plural(p.original_sample, "example")} of the original training data, so it keeps what it already knew.`
      : "No original training data is mixed in (none was found for this version).",
    p.regression_examples > 0
      ? `It must not break any of the ${plural(p.regression_examples, "pinned example")}.`
      : "No examples are pinned yet: pin the ones it must never get wrong on the Regression set tab.",
    "The new version is promoted only if it does no worse on the original checks and better on the corrections; otherwise the current one keeps answering.",
  ];
}

export function Retrain({
  name,
  me,
  onJob,
}: {
  name: ModelName;
  me: Principal;
  onJob: (jobId: string) => void;
}) {
  const [plan, setPlan] = useState<RetrainResponse | null>(null);
  const [showing, setShowing] = useState(false);
  const [started, setStarted] = useState<RetrainResponse | null>(null);
  const [error, setError] = useState<unknown>(null);
  /** Why there is nothing to retrain on, in the server's words (no accepted reviews left). */
  const [nothing, setNothing] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      setPlan(await retrain(name.name, true));
      setError(null);
      setNothing(null);
    } catch (e) {
      // a plan refused (nothing accepted yet) is not a failure of the page
      if (e instanceof ApiError && (e.status === 400 || e.status === 409 || e.status === 422))
        setNothing(e.message);
      else setError(e);
    }
  }, [name.name]);
  useEffect(() => void load(), [load]);

  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      setStarted(await retrain(name.name, false));
      setShowing(false);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const n = plan ? plan.accepted.train.length + plan.accepted.held_out.length : 0;
  return (
    <section aria-labelledby="h-retrain">
      <h3 id="h-retrain">Retrain</h3>
      <p className="hint">
        A model does not stay right by itself: what people ask changes. Retraining teaches it the
        answers reviewers accepted on the Review page, then compares the new version with the one in
        use before letting it answer.
      </p>
      {error !== null && <ErrorBox error={error} retry={() => void load()} />}
      {!plan && error === null && nothing === null && <Loading what="Counting accepted reviews…" />}
      {nothing !== null && (
        <div className="state empty" data-testid="retrain-nothing">
          <strong>Nothing to retrain on yet.</strong> Accept or correct answers on the Review page
          first. <span className="muted">({nothing})</span>
        </div>
      )}
      {started && (
        <div className="state ok" role="status" data-testid="retrain-started">
          <p>
            Retraining started
            {started.dataset_id ? (
              <>
                {" "}
                on the dataset version <span className="mono">{started.dataset_id}</span>
              </>
            ) : null}
            . When it finishes, the gate decides whether the new version answers; its decision shows
            on the Versions tab.
          </p>
          {started.job_id && (
            <button
              type="button"
              className="link"
              onClick={() => started.job_id && onJob(started.job_id)}
            >
              Watch it on the Training page
            </button>
          )}
        </div>
      )}
      {plan && !started && n === 0 && (
        <p className="state empty">
          <strong>No accepted reviews to learn from yet.</strong> Accept or correct answers on the
          Review page first; each accepted answer is used once.
        </p>
      )}
      {plan && !started && n > 0 && me.role !== "viewer" && !showing && (
        <div className="actions">
          <button type="button" className="primary" onClick={() => setShowing(true)}>
            Retrain with {plural(n, "accepted review")}
          </button>
        </div>
      )}
      {plan && !started && n > 0 && showing && (
        <div className="state versions-plan" data-testid="plan">
          <p>
            <strong>What retraining {name.name} would do:</strong>
          </p>
          <ul>
            {(plan.notes.length ? plan.notes : planWords(plan)).map((s) => (
              <li key={s}>{s}</li>
            ))}
          </ul>
          <div className="actions">
            <button type="button" className="primary" disabled={busy} onClick={() => void start()}>
              Start retraining
            </button>
            <button type="button" className="secondary" onClick={() => setShowing(false)}>
              Cancel
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
