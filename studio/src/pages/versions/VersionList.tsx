/**
 * A model name's versions (v1, v2…: which one answers now, the model behind it, how it came, the
 * gate's decision in words), Promote and Roll back (each asks why), and the history below: every
 * change with who, why and when.
 */
import { type FormEvent, useState } from "react";
import type { Principal } from "../../api.ts";
import { placeError, saidOf } from "../assistants/errors.ts";
import { Field } from "../assistants/fields.tsx";
import { when } from "../assistants/Versions.tsx";
import { AddVersion } from "./AddVersion.tsx";
import {
  historyOf,
  type ModelNameDetail,
  type ModelNameEvent,
  promote,
  rollback,
} from "./client.ts";
import { Gate } from "./Gate.tsx";
import { Storage } from "./Storage.tsx";

/** What one change did, in words. */
export function eventWords(e: ModelNameEvent): string {
  const v = (n: number | null) => (n === null ? "?" : `version ${n}`);
  switch (e.action) {
    case "create":
      return `Made the name, answering with ${v(e.to_version)}`;
    case "add":
      return `Added ${v(e.to_version)}`;
    case "promote":
      return `Promoted ${v(e.to_version)} (was ${v(e.from_version)})`;
    case "rollback":
      return `Rolled back to ${v(e.to_version)} (from ${v(e.from_version)})`;
    case "refused":
      return `Kept ${v(e.from_version)}: ${e.to_version === null ? "the new version" : v(e.to_version)} was not promoted`;
    default:
      return e.action;
  }
}

/**
 * The version a rollback returns to: the one that answered before the current one (promotions
 * push onto what answered, rollbacks pop, as the server counts them), or null when there is none.
 */
function previous(n: ModelNameDetail): number | null {
  const stack: number[] = [];
  for (const e of [...historyOf(n)].reverse()) {
    if (e.to_version === null) continue;
    if (e.action === "create" || e.action === "promote") stack.push(e.to_version);
    else if (e.action === "rollback") {
      stack.pop();
      if (stack.at(-1) !== e.to_version) stack.push(e.to_version);
    }
  }
  return stack.at(-2) ?? null;
}

type Asking = { kind: "promote"; version: number } | { kind: "rollback" } | { kind: "add" } | null;

export function VersionList({
  detail: n,
  me,
  onChange,
  onJob,
}: {
  detail: ModelNameDetail;
  me: Principal;
  onChange: (changed: ModelNameDetail, said: string) => void;
  /** Opens a retrain job on the Training page. */
  onJob: (jobId: string) => void;
}) {
  const [asking, setAsking] = useState<Asking>(null);
  const [why, setWhy] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const history = historyOf(n);
  const back = previous(n);
  const canChange = me.role !== "viewer";
  const versions = [...n.versions].sort((a, b) => b.version - a.version);

  const ask = (a: Asking) => {
    setAsking(a);
    setWhy("");
    setError(null);
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!asking || asking.kind === "add") return;
    setBusy(true);
    setError(null);
    try {
      const changed =
        asking.kind === "promote"
          ? await promote(n.name, asking.version, why.trim())
          : await rollback(n.name, why.trim());
      setAsking(null);
      onChange(changed, `Version ${changed.current} answers now.`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const placed = placeError(error, ["why"]);

  return (
    <section aria-labelledby="h-versions-list">
      <h3 id="h-versions-list">Versions</h3>
      <p className="hint">
        Apps, assistants and the playground that ask for <span className="mono">{n.name}</span> get
        the version answering now. Earlier versions stay until deleted, so you can go back.
      </p>
      <div className="table-scroll">
        <table className="versions-table stack" data-testid="versions">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Model</th>
              <th scope="col">How it came</th>
              <th scope="col">The gate</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr key={v.version} className={v.version === n.current ? "current" : undefined}>
                <td data-label="Version">
                  <strong>v{v.version}</strong>
                  {v.version === n.current && <span className="versions-live"> answering now</span>}
                </td>
                <td data-label="Model">
                  <span className="mono">{v.model}</span>
                </td>
                <td data-label="How it came">
                  {v.origin === "retrain" ? "Made by a retrain" : "Added by hand"} by {v.added_by},{" "}
                  {when(v.added_at)}
                  {v.job_id && (
                    <>
                      {" "}
                      <button
                        type="button"
                        className="link"
                        onClick={() => v.job_id && onJob(v.job_id)}
                      >
                        See its training
                      </button>
                    </>
                  )}
                </td>
                <td data-label="The gate">
                  {v.gate ? (
                    <Gate gate={v.gate} />
                  ) : (
                    <span className="muted">none: added by hand</span>
                  )}
                </td>
                <td>
                  {canChange && v.version !== n.current && (
                    <button
                      type="button"
                      className="secondary"
                      aria-label={`Promote version ${v.version}`}
                      onClick={() => ask({ kind: "promote", version: v.version })}
                    >
                      Promote
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {canChange && !asking && (
        <div className="actions">
          {back !== null && (
            <button type="button" className="secondary" onClick={() => ask({ kind: "rollback" })}>
              Roll back to version {back}
            </button>
          )}
          <button type="button" className="secondary" onClick={() => ask({ kind: "add" })}>
            Add a version
          </button>
        </div>
      )}
      {asking?.kind === "add" && (
        <AddVersion
          name={n.name}
          onCancel={() => ask(null)}
          onAdded={(changed, said) => {
            setAsking(null);
            onChange(changed, said);
          }}
        />
      )}
      {asking && asking.kind !== "add" && (
        <form className="versions-ask" onSubmit={(e) => void submit(e)} data-testid="ask-why">
          <Field
            id="versions-why"
            label={
              asking.kind === "promote"
                ? `Why promote version ${asking.version}?`
                : `Why roll back${back !== null ? ` to version ${back}` : ""}?`
            }
            hint="Kept in the history with your name, for whoever looks later."
            error={placed?.said}
            className="wide"
          >
            {(c) => <input {...c} value={why} required onChange={(e) => setWhy(e.target.value)} />}
          </Field>
          <div className="actions">
            <button type="submit" className="primary" disabled={busy || !why.trim()}>
              {asking.kind === "promote" ? "Promote now" : "Roll back now"}
            </button>
            <button type="button" className="secondary" onClick={() => ask(null)}>
              Cancel
            </button>
          </div>
          {error !== null && !placed && (
            <p className="field-error" role="alert">
              {saidOf(error)}
            </p>
          )}
        </form>
      )}

      <h3 id="h-versions-history">History</h3>
      {history.length === 0 ? (
        <p className="muted">No changes yet.</p>
      ) : (
        <ol className="versions-history" aria-labelledby="h-versions-history" data-testid="history">
          {history.map((e) => (
            <li key={e.seq} className={e.action === "refused" ? "bad" : undefined}>
              <span className="versions-what">{eventWords(e)}</span>
              <span className="hint">
                {when(e.at)} by <strong className="mono">{e.who}</strong>
              </span>
              {e.why && <span className="versions-why">“{e.why}”</span>}
            </li>
          ))}
        </ol>
      )}
      <Storage
        key={`${n.store_completions}-${n.retention_days}`}
        detail={n}
        canChange={canChange}
        onChange={onChange}
      />
    </section>
  );
}
