/**
 * Whether a model name keeps every answer for feedback (as if each caller asked with
 * `store: true`), and how many days kept answers stay before they are deleted.
 */
import { type FormEvent, useState } from "react";
import { plural } from "../../ui.tsx";
import { placeError, saidOf } from "../assistants/errors.ts";
import { Field } from "../assistants/fields.tsx";
import { type ModelNameDetail, setStorage } from "./client.ts";

export function Storage({
  detail: n,
  canChange,
  onChange,
}: {
  detail: ModelNameDetail;
  canChange: boolean;
  onChange: (n: ModelNameDetail, said: string) => void;
}) {
  const [keep, setKeep] = useState(n.store_completions);
  const [days, setDays] = useState(String(n.retention_days));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const changed = await setStorage(n.name, {
        store_completions: keep,
        retention_days: Number(days),
      });
      onChange(changed, "Saved.");
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const placed = placeError(error, ["retention_days"]);
  const same = keep === n.store_completions && days === String(n.retention_days);

  return (
    <form className="versions-storage" onSubmit={(e) => void submit(e)} aria-labelledby="h-keep">
      <h3 id="h-keep">Keeping answers for feedback</h3>
      <p className="hint">
        {n.store_completions
          ? `Every answer of ${n.name} is kept for ${plural(n.retention_days, "day")}, so that people can rate or correct it.`
          : `Answers of ${n.name} are kept for ${plural(n.retention_days, "day")} only when the app asks (store: true, as the playground does).`}
      </p>
      {canChange && (
        <>
          <label className="versions-check">
            <input type="checkbox" checked={keep} onChange={(e) => setKeep(e.target.checked)} />{" "}
            Keep every answer, even when the app does not ask
          </label>
          <Field
            id="keep-days"
            label="Delete kept answers after (days)"
            error={placed?.field === "retention_days" ? placed.said : null}
          >
            {(c) => (
              <input
                {...c}
                type="number"
                min={1}
                max={3650}
                value={days}
                onChange={(e) => setDays(e.target.value)}
              />
            )}
          </Field>
          <button type="submit" className="secondary" disabled={busy || same}>
            Save
          </button>
          {error !== null && !placed && (
            <p className="field-error" role="alert">
              {saidOf(error)}
            </p>
          )}
        </>
      )}
    </form>
  );
}
