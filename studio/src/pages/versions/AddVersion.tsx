/**
 * Adding a version to a model name by hand (another fine-tuned model, or a base): it answers only
 * once promoted, unless "Answer with it now" is ticked; the why goes into the history.
 */
import { type FormEvent, useEffect, useState } from "react";
import type { Model } from "../../api.ts";
import { placeError, saidOf } from "../assistants/errors.ts";
import { Field } from "../assistants/fields.tsx";
import { addVersion, listChatModels, type ModelNameDetail } from "./client.ts";

export function AddVersion({
  name,
  onAdded,
  onCancel,
}: {
  name: string;
  onAdded: (n: ModelNameDetail, said: string) => void;
  onCancel: () => void;
}) {
  const [models, setModels] = useState<Model[]>([]);
  const [model, setModel] = useState("");
  const [why, setWhy] = useState("");
  const [now, setNow] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    listChatModels()
      .then((m) => {
        setModels(m);
        setModel((x) => x || m[0]?.id || "");
      })
      .catch(setError);
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const n = await addVersion(name, { model, why: why.trim(), promote: now });
      const added = Math.max(...n.versions.map((v) => v.version));
      onAdded(
        n,
        now
          ? `Version ${added} added; it answers now.`
          : `Version ${added} added; promote it to let it answer.`,
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const placed = placeError(error, ["model", "why"]);
  const beside = (f: string) => (placed?.field === f ? placed.said : null);

  return (
    <form className="versions-ask" onSubmit={(e) => void submit(e)} aria-labelledby="h-add-version">
      <h4 id="h-add-version">Add a version</h4>
      <Field id="add-model" label="Model" error={beside("model")}>
        {(c) => (
          <select {...c} value={model} onChange={(e) => setModel(e.target.value)}>
            {models.map((m) => (
              <option key={m.id} value={m.id}>
                {m.id}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field
        id="add-why"
        label="Why add it?"
        hint="Kept in the history with your name."
        error={beside("why")}
        className="wide"
      >
        {(c) => <input {...c} value={why} onChange={(e) => setWhy(e.target.value)} />}
      </Field>
      <label className="versions-check">
        <input type="checkbox" checked={now} onChange={(e) => setNow(e.target.checked)} /> Answer
        with it now (otherwise promote it later)
      </label>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || !model || !why.trim()}>
          Add the version
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
      {error !== null && !placed && (
        <p className="field-error" role="alert">
          {saidOf(error)}
        </p>
      )}
    </form>
  );
}
