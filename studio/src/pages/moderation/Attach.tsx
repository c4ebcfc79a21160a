import { useEffect, useState } from "react";
import { type ApiKey, api, type Model } from "../../api.ts";
import { ErrorBox, Hint, Loading } from "../../ui.tsx";
import { type Attached, attachPolicy, type Policy } from "./client.ts";

/**
 * Where a saved policy applies (an admin's choice): the models (base or trained) and the API keys
 * whose every chat is checked by it. Classifiers, the embedding and the moderation models write no
 * chat answers and are not offered.
 */
export function Attach({ policy, onSaved }: { policy: Policy; onSaved: (p: Policy) => void }) {
  const [models, setModels] = useState<Model[] | null>(null);
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [chosen, setChosen] = useState<Attached>(policy.attached);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    api<{ data: Model[] }>("/v1/models")
      .then((r) =>
        setModels(
          r.data.filter(
            (m) =>
              m.tailor.kind !== "embedding" &&
              m.tailor.kind !== "moderation" &&
              !m.tailor.classifier,
          ),
        ),
      )
      .catch(setError);
    api<{ data: ApiKey[] }>("/v1/keys")
      .then((r) => setKeys(r.data))
      .catch(setError);
  }, []);

  const toggle = (list: "models" | "keys", id: string, on: boolean) => {
    setSaved(false);
    setChosen((c) => ({
      ...c,
      [list]: on ? [...c[list], id] : c[list].filter((x) => x !== id),
    }));
  };
  const save = async () => {
    setError(null);
    try {
      onSaved(await attachPolicy(policy.id, chosen));
      setSaved(true);
    } catch (e) {
      setError(e);
    }
  };
  // a model or key that is gone still shows, so it can be taken off
  const modelIds = [
    ...new Set([...(models?.map((m) => m.id) ?? []), ...policy.attached.models]),
  ].sort();

  return (
    <section className="attach" aria-labelledby="h-attach">
      <h2 id="h-attach">Where {policy.name} applies</h2>
      <Hint>
        Every chat with a ticked model, or made with a ticked key, is checked. A program can also
        ask for it on one request: <code>{`"tailor": {"moderation": "${policy.name}"}`}</code>.
      </Hint>
      {!models && error === null && <Loading what="Loading models…" />}
      {models && (
        <fieldset className="pick">
          <legend>Models</legend>
          {modelIds.length === 0 && <p className="muted">No models yet.</p>}
          {modelIds.map((id) => (
            <label key={id} className="check">
              <input
                type="checkbox"
                checked={chosen.models.includes(id)}
                onChange={(e) => toggle("models", id, e.target.checked)}
              />{" "}
              {id}
            </label>
          ))}
        </fieldset>
      )}
      {keys && (
        <fieldset className="pick">
          <legend>API keys</legend>
          {keys
            .filter((k) => !k.revoked_at || chosen.keys.includes(k.id))
            .map((k) => (
              <label key={k.id} className="check">
                <input
                  type="checkbox"
                  checked={chosen.keys.includes(k.id)}
                  onChange={(e) => toggle("keys", k.id, e.target.checked)}
                />{" "}
                {k.name} ({k.role}) <code>{k.prefix}…</code>
                {k.revoked_at ? " (revoked)" : ""}
              </label>
            ))}
        </fieldset>
      )}
      {error !== null && <ErrorBox error={error} />}
      <div className="actions">
        <button type="button" className="primary" onClick={() => void save()}>
          Save where it applies
        </button>
        {saved && (
          <span className="state ok inline" role="status">
            Saved.
          </span>
        )}
      </div>
    </section>
  );
}
