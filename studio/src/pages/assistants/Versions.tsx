/** Every saved version of an assistant, newest first: its number, when, who, and what it changed. */
import { useEffect, useState } from "react";
import { Empty, ErrorBox, Loading } from "../../ui.tsx";
import { type AssistantSettings, type AssistantVersion, listVersions } from "./client.ts";

const WORDS: Record<keyof AssistantSettings, string> = {
  name: "name",
  model: "model",
  instructions: "instructions",
  sampling: "word picking",
  knowledge: "knowledge",
  functions: "functions",
  tool_choice: "calling functions",
  max_function_calls: "calls per answer",
  allowed_hosts: "allowed hosts",
  moderation_policy: "moderation",
  greeting: "greeting",
  suggested_questions: "suggested questions",
  retention_days: "keeping conversations",
};

/** The settings one version changed from the one before it, in words. */
export function changes(v: AssistantVersion, before: AssistantVersion | undefined): string {
  if (!before) return "created";
  const keys = Object.keys(WORDS) as (keyof AssistantSettings)[];
  const changed = keys.filter(
    (k) => JSON.stringify(v.settings[k]) !== JSON.stringify(before.settings[k]),
  );
  return changed.length ? changed.map((k) => WORDS[k]).join(", ") : "saved without changes";
}

export const when = (seconds: number) =>
  new Date(seconds * 1000).toLocaleString("en", { dateStyle: "medium", timeStyle: "short" });

export function Versions({ id, current }: { id: string; current: number }) {
  const [versions, setVersions] = useState<AssistantVersion[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setVersions(null);
    listVersions(id).then(setVersions).catch(setError);
  }, [id]);

  return (
    <section aria-labelledby="h-asst-versions">
      <h2 id="h-asst-versions">Versions</h2>
      <p className="hint">
        Every save makes a new version. Each answer in a conversation records the version that wrote
        it.
      </p>
      {error !== null && <ErrorBox error={error} />}
      {!versions && error === null && <Loading what="Loading versions…" />}
      {versions?.length === 0 && <Empty title="No versions yet" />}
      {versions && versions.length > 0 && (
        <div className="table-scroll">
          <table className="assistants-table" data-testid="versions">
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Saved</th>
                <th scope="col">By</th>
                <th scope="col">Changed</th>
              </tr>
            </thead>
            <tbody>
              {versions.map((v, i) => (
                <tr key={v.version}>
                  <td>
                    {v.version}
                    {v.version === current && <span className="muted"> (current)</span>}
                  </td>
                  <td>{when(v.created_at)}</td>
                  <td className="mono">{v.author}</td>
                  <td>{changes(v, versions[i + 1])}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
