/**
 * The regression set of a model name: examples it must never get wrong, pinned by its owner (a
 * question and the answer it must keep giving). Every retrain is checked on them; a new version
 * that breaks one is not promoted.
 */
import { type FormEvent, useCallback, useEffect, useState } from "react";
import type { Principal } from "../../api.ts";
import { Empty, ErrorBox, Loading } from "../../ui.tsx";
import { placeError, saidOf } from "../assistants/errors.ts";
import { Field } from "../assistants/fields.tsx";
import { when } from "../assistants/Versions.tsx";
import { listRegression, pin, type RegressionExample, unpin } from "./client.ts";

const question = (r: RegressionExample) =>
  r.messages.filter((m) => m.role === "user").at(-1)?.content ?? "(no question)";

export function Regression({ name, me }: { name: string; me: Principal }) {
  const [list, setList] = useState<RegressionExample[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [asked, setAsked] = useState("");
  const [expected, setExpected] = useState("");
  const [note, setNote] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [said, setSaid] = useState("");
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      setList(await listRegression(name));
      setLoadError(null);
    } catch (e) {
      setLoadError(e);
    }
  }, [name]);
  useEffect(() => void load(), [load]);

  const add = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSaid("");
    try {
      await pin(name, {
        messages: [{ role: "user", content: asked.trim() }],
        expected: expected.trim(),
        ...(note.trim() ? { note: note.trim() } : {}),
      });
      setAsked("");
      setExpected("");
      setNote("");
      setSaid("Pinned.");
      await load();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const remove = async (r: RegressionExample) => {
    setError(null);
    setSaid("");
    try {
      await unpin(name, r.id);
      setSaid("Unpinned.");
      await load();
    } catch (err) {
      setError(err);
    }
  };

  // the server names messages.0.content for the question
  const placed = placeError(error, ["messages", "expected", "note"]);
  const beside = (f: string) => (placed?.field === f ? placed.said : null);
  const canChange = me.role !== "viewer";

  return (
    <section aria-labelledby="h-regression">
      <h3 id="h-regression">Regression set</h3>
      <p className="hint">
        Examples {name} must never get wrong. Every retrain is checked on them, and a new version
        that breaks one does not answer.
      </p>
      <p role="status" className="versions-note">
        {said}
      </p>
      {loadError !== null && <ErrorBox error={loadError} retry={() => void load()} />}
      {!list && loadError === null && <Loading what="Loading pinned examples…" />}
      {list?.length === 0 && <Empty title="Nothing pinned yet" />}
      {list && list.length > 0 && (
        <ul className="rows versions-pinned" data-testid="pinned">
          {list.map((r) => (
            <li key={r.id}>
              <span>
                <strong>{question(r)}</strong>
                <span className="versions-expected">Must answer: {r.expected}</span>
                <span className="hint">
                  Pinned by {r.pinned_by}, {when(r.pinned_at)}
                  {r.note ? ` · ${r.note}` : ""}
                </span>
              </span>
              {canChange && (
                <button
                  type="button"
                  className="secondary"
                  aria-label={`Unpin “${question(r)}”`}
                  onClick={() => void remove(r)}
                >
                  Unpin
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {canChange && (
        <form className="versions-pin" onSubmit={(e) => void add(e)} aria-labelledby="h-pin">
          <h4 id="h-pin">Pin an example</h4>
          <Field id="pin-question" label="Question" error={beside("messages")} className="wide">
            {(c) => (
              <textarea {...c} rows={2} value={asked} onChange={(e) => setAsked(e.target.value)} />
            )}
          </Field>
          <Field
            id="pin-expected"
            label="The answer it must keep giving"
            error={beside("expected")}
            className="wide"
          >
            {(c) => (
              <textarea
                {...c}
                rows={3}
                value={expected}
                onChange={(e) => setExpected(e.target.value)}
              />
            )}
          </Field>
          <Field id="pin-note" label="Note (optional)" error={beside("note")} className="wide">
            {(c) => <input {...c} value={note} onChange={(e) => setNote(e.target.value)} />}
          </Field>
          <div className="actions">
            <button
              type="submit"
              className="primary"
              disabled={busy || !asked.trim() || !expected.trim()}
            >
              Pin this example
            </button>
          </div>
          {error !== null && !placed && (
            <p className="field-error" role="alert">
              {saidOf(error)}
            </p>
          )}
        </form>
      )}
    </section>
  );
}
