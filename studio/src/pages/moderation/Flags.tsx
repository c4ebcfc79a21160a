import { useCallback, useEffect, useState } from "react";
import { Empty, ErrorBox, Hint, Loading } from "../../ui.tsx";
import { listFlags, type ModerationFlag, type Policy } from "./client.ts";
import { ACTION, ruleWords, when } from "./words.ts";

/**
 * The flags log: every check that fired on a chat, newest first, optionally for one policy. The
 * excerpt has the offending words masked; the full text shows only where the policy keeps it.
 */
export function Flags({
  policies,
  refresh,
  onRefresh,
}: {
  policies: Policy[];
  refresh: number;
  /** Refresh also reloads the policies (one made elsewhere may have flags). */
  onRefresh: () => void;
}) {
  const [policy, setPolicy] = useState<string>("");
  const [flags, setFlags] = useState<ModerationFlag[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    setError(null);
    try {
      const list = await listFlags(policy || null);
      setFlags([...list].sort((a, b) => b.created_at - a.created_at));
    } catch (e) {
      setError(e);
    }
  }, [policy]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `refresh` is the parent asking for a reload
  useEffect(() => void load(), [load, refresh]);

  return (
    <section className="flags" aria-labelledby="h-flags">
      <h2 id="h-flags">Flags</h2>
      <Hint>
        Every time a policy's check fired on a chat: what it did and which rule fired. Text is kept
        only for policies that keep it.
      </Hint>
      <div className="inline-form">
        <div className="field">
          <label htmlFor="flags-policy">Policy</label>
          <select id="flags-policy" value={policy} onChange={(e) => setPolicy(e.target.value)}>
            <option value="">All policies</option>
            {policies.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
        <button
          type="button"
          className="secondary"
          onClick={() => {
            onRefresh();
            void load();
          }}
        >
          Refresh
        </button>
      </div>
      {error !== null && <ErrorBox error={error} retry={() => void load()} />}
      {!flags && error === null && <Loading what="Loading the flags…" />}
      {flags?.length === 0 && (
        <Empty title="No flags yet">
          When a policy's check fires on a chat, it is listed here.
        </Empty>
      )}
      {flags && flags.length > 0 && (
        <div className="table-scroll">
          <table className="flags-table" data-testid="flags">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Policy</th>
                <th scope="col">Model</th>
                <th scope="col">On</th>
                <th scope="col">Done</th>
                <th scope="col">Rules</th>
                <th scope="col">Excerpt</th>
              </tr>
            </thead>
            <tbody>
              {flags.map((f) => (
                <tr key={f.id}>
                  <td data-label="When">{when(f.created_at)}</td>
                  <td data-label="Policy">{f.policy_name}</td>
                  <td data-label="Model">{f.model ?? "unknown"}</td>
                  <td data-label="On">{f.stage === "input" ? "question" : "answer"}</td>
                  <td data-label="Done">
                    <span className={`action action-${f.action}`}>{ACTION[f.action]}</span>
                  </td>
                  <td data-label="Rules">
                    <ul className="plain-list">
                      {f.hits.map((h) => (
                        <li key={`${h.kind}:${h.rule}`}>
                          {ruleWords(h)}
                          {h.score !== undefined && ` (${h.score.toFixed(2)})`}
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td data-label="Excerpt" className="excerpt">
                    {f.excerpt}
                    {f.text !== null && (
                      <details>
                        <summary>Full text</summary>
                        <p className="passed-on">{f.text}</p>
                      </details>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
