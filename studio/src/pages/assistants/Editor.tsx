/**
 * Create an assistant or change one, in plain words; saving makes a new version. Problems found
 * while typing (a schema that is not JSON) and the server's complaints about a field are said beside
 * that field; anything else above the buttons.
 */
import { type FormEvent, useEffect, useMemo, useState } from "react";
import type { Model, VectorStore } from "../../api.ts";
import { ErrorBox } from "../../ui.tsx";
import type { Policy } from "../moderation/client.ts";
import { FirstWords, KnowledgeAndSafety } from "./Audience.tsx";
import { Basics } from "./Basics.tsx";
import {
  type AssistantObject,
  createAssistant,
  listChatModels,
  listKnowledgeBases,
  listPolicies,
  updateAssistant,
} from "./client.ts";
import { type Draft, draftOf, fieldsOf, inputOf, newDraft } from "./draft.ts";
import { placeError } from "./errors.ts";
import { Functions } from "./Functions.tsx";

/** Shown as typed, before any save: a schema that does not parse, a name the model cannot call. */
const AS_TYPED = /^functions\.\d+\.(parameters|name)$/;

export function Editor({
  assistant,
  onSaved,
  onCancel,
}: {
  /** null: a new assistant. */
  assistant: AssistantObject | null;
  onSaved: (a: AssistantObject) => void;
  onCancel: () => void;
}) {
  const [draft, setDraft] = useState<Draft>(() =>
    assistant ? draftOf(assistant.tailor.settings) : newDraft(""),
  );
  const [models, setModels] = useState<Model[] | null>(null);
  const [stores, setStores] = useState<VectorStore[] | null>(null);
  const [policies, setPolicies] = useState<Policy[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [error, setError] = useState<unknown>(null);
  const [tried, setTried] = useState(false);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    listChatModels()
      .then((m) => {
        setModels(m);
        // a new assistant starts on the newest tuned model, else the first base model
        setDraft((d) =>
          d.model
            ? d
            : { ...d, model: (m.find((x) => x.tailor.kind === "fine_tuned") ?? m[0])?.id ?? "" },
        );
      })
      .catch(setLoadError);
    listKnowledgeBases().then(setStores).catch(setLoadError);
    // a key that may not read policies still edits the rest
    listPolicies()
      .then(setPolicies)
      .catch(() => setPolicies([]));
  }, []);

  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));
  const { input, problems } = useMemo(() => inputOf(draft), [draft]);
  const shown = useMemo(() => fieldsOf(draft), [draft]);
  const placed = placeError(error, shown);
  const errorFor = (field: string): string | null => {
    const local = problems[field];
    if (local && (tried || AS_TYPED.test(field))) return local;
    return placed?.field === field ? placed.said : null;
  };
  const count = Object.keys(problems).length;

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    setError(null);
    if (count > 0) return;
    setSaving(true);
    try {
      onSaved(
        assistant ? await updateAssistant(assistant.id, input) : await createAssistant(input),
      );
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  const props = { draft, set, errorFor };
  return (
    <form
      className="assistants-editor"
      onSubmit={(e) => void save(e)}
      aria-labelledby="h-asst-editor"
      noValidate
    >
      <h2 id="h-asst-editor">{assistant ? "Settings" : "New assistant"}</h2>
      {loadError !== null && <ErrorBox error={loadError} />}
      <Basics {...props} models={models} />
      <KnowledgeAndSafety {...props} stores={stores} policies={policies} />
      <Functions {...props} />
      <FirstWords {...props} />

      {tried && count > 0 && (
        <p className="state error" role="alert">
          <strong>Not saved yet.</strong> {count === 1 ? "One field needs" : `${count} fields need`}{" "}
          a change: marked in red, with what to do.
        </p>
      )}
      {error !== null && !placed && <ErrorBox error={error} />}
      {error !== null && placed && (
        <p className="state error" role="alert">
          <strong>The assistant was not saved.</strong> One field needs a change: it is marked in
          red, with what to do.
        </p>
      )}
      <div className="actions">
        <button type="button" className="secondary" onClick={onCancel}>
          {assistant ? "Undo changes" : "Cancel"}
        </button>
        <button type="submit" className="primary" disabled={saving}>
          {saving ? "Saving…" : assistant ? "Save as a new version" : "Create assistant"}
        </button>
      </div>
    </form>
  );
}
