import { useCallback, useEffect, useState } from "react";
import { isResumable, isTerminalStatus } from "../../../protocol/jobs.ts";
import { api, type Job, type JobEvent, sse } from "../api.ts";
import { LossChart, type Point } from "../charts.tsx";
import { duration, Empty, ErrorBox, GLOSSARY, Hint, Loading } from "../ui.tsx";
import type { PageProps } from "./types.ts";

const STATUS_WORDS: Record<Job["status"], string> = {
  validating_files: "Checking the examples",
  queued: "Waiting for its turn",
  running: "Training",
  succeeded: "Finished",
  failed: "Failed",
  cancelled: "Cancelled",
};

interface Progress {
  step: number;
  total: number;
  eta: number | null;
}

export function Training({ flow, update, go }: PageProps) {
  const [job, setJob] = useState<Job | null>(null);
  const [jobs, setJobs] = useState<Job[] | null>(null);
  const [events, setEvents] = useState<JobEvent[]>([]);
  const [train, setTrain] = useState<Point[]>([]);
  const [validation, setValidation] = useState<Point[]>([]);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [round, setRound] = useState(0); // a new stream after Resume

  const id = flow.jobId;
  useEffect(() => {
    if (id) return;
    api<{ data: Job[] }>("/v1/fine_tuning/jobs?limit=10")
      .then((r) => setJobs(r.data))
      .catch(setError);
  }, [id]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `round` restarts the stream after Resume
  useEffect(() => {
    if (!id) return;
    const ctl = new AbortController();
    setEvents([]);
    setTrain([]);
    setValidation([]);
    setProgress(null);
    setError(null);
    (async () => {
      setJob(await api<Job>(`/v1/fine_tuning/jobs/${id}`, { signal: ctl.signal }));
      for await (const m of sse(`/v1/fine_tuning/jobs/${id}/stream`, { signal: ctl.signal })) {
        if (m.event === "done") {
          const done = JSON.parse(m.data) as Job;
          setJob(done);
          if (done.fine_tuned_model) update({ model: done.fine_tuned_model });
          continue;
        }
        const e = JSON.parse(m.data) as JobEvent;
        const d = e.data as Record<string, number | string | undefined>;
        if (d.tailor_type === "metrics") {
          // metrics only come from a running job (a resumed one replays earlier runs first)
          setJob((j) =>
            j && j.status !== "running" && !ctl.signal.aborted ? { ...j, status: "running" } : j,
          );
          setTrain((t) => [...t, { x: Number(d.step), y: Number(d.train_loss) }]);
          setProgress({
            step: Number(d.step),
            total: Number(d.total_steps),
            eta: Number(d.eta_seconds),
          });
        } else if (d.tailor_type === "evaluation") {
          setValidation((v) => [...v, { x: Number(d.step), y: Number(d.val_loss) }]);
        } else {
          setEvents((list) => [...list, e]);
          if (d.tailor_type !== "checkpoint") setJob(await api<Job>(`/v1/fine_tuning/jobs/${id}`));
        }
      }
    })().catch((e: unknown) => {
      if (!ctl.signal.aborted) setError(e);
    });
    return () => ctl.abort();
  }, [id, update, round]);

  const act = useCallback(
    async (action: "cancel" | "resume") => {
      if (!id) return;
      try {
        setJob(await api<Job>(`/v1/fine_tuning/jobs/${id}/${action}`, { method: "POST" }));
        if (action === "resume") setRound((r) => r + 1);
      } catch (e) {
        setError(e);
      }
    },
    [id],
  );

  if (!id)
    return (
      <section>
        <h1>4. Training</h1>
        <Empty title="Nothing is training">
          Start from{" "}
          <button type="button" className="link" onClick={() => go("/examples")}>
            your examples
          </button>
          , or open a recent job:
        </Empty>
        {error !== null && <ErrorBox error={error} />}
        {jobs && jobs.length > 0 && (
          <ul className="plain-list">
            {jobs.map((j) => (
              <li key={j.id}>
                <button
                  type="button"
                  className="link"
                  onClick={() => update({ jobId: j.id, model: j.fine_tuned_model })}
                >
                  {j.user_provided_suffix ?? j.id}: {j.model},{" "}
                  {STATUS_WORDS[j.status].toLowerCase()}
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
    );

  const running = job ? !isTerminalStatus(job.status) : false;
  const pct = progress?.total ? Math.round((progress.step / progress.total) * 100) : 0;
  return (
    <section aria-labelledby="h-training">
      <h1 id="h-training">4. Training</h1>
      {!job && error === null && <Loading what="Finding the job…" />}
      {error !== null && <ErrorBox error={error} />}
      {job && (
        <>
          <p className="lead">
            <strong>{job.model}</strong> learning from your examples. You can leave this page:
            training goes on, and this page picks it up again.
          </p>
          <div className="status-row">
            <span className={`status s-${job.status}`} data-testid="job-status">
              {STATUS_WORDS[job.status]}
            </span>
            {progress && (
              <span>
                Step {progress.step} of {progress.total}
                {running && progress.eta !== null ? ` · about ${duration(progress.eta)} left` : ""}
              </span>
            )}
            <span className="grow" />
            {running && (
              <button type="button" className="secondary" onClick={() => void act("cancel")}>
                Cancel
              </button>
            )}
            {isResumable(job.status) && (
              <button type="button" className="secondary" onClick={() => void act("resume")}>
                Resume
              </button>
            )}
          </div>
          <progress
            max={100}
            value={job.status === "succeeded" ? 100 : pct}
            aria-label="Training progress"
          />
          {job.error && (
            <div className="state error" role="alert">
              <strong>Training failed.</strong> {job.error.message}
            </div>
          )}
          {job.tailor.result && (
            <div className="state ok" role="status">
              {job.tailor.result.summary}
            </div>
          )}
          <h2>Loss</h2>
          <Hint>
            {GLOSSARY.loss} {GLOSSARY.validation_loss}
          </Hint>
          {train.length === 0 && validation.length === 0 ? (
            <Empty
              title={
                running
                  ? "The first points appear when training starts…"
                  : "No points were recorded"
              }
            />
          ) : null}
          <LossChart train={train} validation={validation} steps={progress?.total} />
          {job.status === "succeeded" && job.fine_tuned_model && (
            <div className="actions">
              <button type="button" className="primary" onClick={() => go("/results")}>
                See the results
              </button>
            </div>
          )}
          <h2>What happened</h2>
          <ol className="log" aria-live="polite" data-testid="events">
            {events.map((e) => (
              <li key={e.id} className={`level-${e.level}`}>
                <time>{new Date(e.created_at * 1000).toLocaleTimeString()}</time> {e.message}
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
