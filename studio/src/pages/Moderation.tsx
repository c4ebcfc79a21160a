import { useCallback, useEffect, useState } from "react";
import type { Principal } from "../api.ts";
import { Empty, ErrorBox, Loading, plural } from "../ui.tsx";
import { Attach } from "./moderation/Attach.tsx";
import {
  deletePolicy,
  listPolicies,
  type Policy,
  type PolicyChecks,
  type PolicyInput,
} from "./moderation/client.ts";
import { Flags } from "./moderation/Flags.tsx";
import { inputOf, NEW_POLICY, PolicyEditor } from "./moderation/PolicyEditor.tsx";
import { TryIt } from "./moderation/TryIt.tsx";
import "./playground/classifier.css";
import "./moderation/moderation.css";
import type { PageProps } from "./types.ts";

/** One side's checks in a few words ("3 kinds, 2 blocked words, hides personal data"). */
function checksWords(c: PolicyChecks): string {
  const parts = [
    Object.keys(c.categories).length && plural(Object.keys(c.categories).length, "kind"),
    c.blocked_terms.length && plural(c.blocked_terms.length, "blocked word"),
    c.patterns.length && plural(c.patterns.length, "pattern"),
    c.personal_data === "redact" && "hides personal data",
    c.personal_data === "block" && "blocks personal data",
  ].filter(Boolean);
  return parts.length ? parts.join(", ") : "nothing";
}

function summary(p: Policy): string {
  const same = JSON.stringify(p.input) === JSON.stringify(p.output);
  const checks = same
    ? `checks ${checksWords(p.input)}`
    : `questions: ${checksWords(p.input)}; answers: ${checksWords(p.output)}`;
  const where = [...p.attached.models, ...p.attached.keys].length
    ? `applies to ${[
        p.attached.models.length && plural(p.attached.models.length, "model"),
        p.attached.keys.length && plural(p.attached.keys.length, "key"),
      ]
        .filter(Boolean)
        .join(" and ")}`
    : "not attached yet";
  return `${p.mode === "enforce" ? "Blocks" : "Only flags"} · ${checks} · ${where}`;
}

/**
 * Moderation: the policies (listed, created, changed, attached, deleted), a sample text tried on the
 * policy being edited, and the flags log.
 */
export function Moderation({ me }: PageProps & { me: Principal }) {
  const [policies, setPolicies] = useState<Policy[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  /** undefined: nothing open; null: a new policy. */
  const [editing, setEditing] = useState<Policy | null | undefined>(undefined);
  const [draft, setDraft] = useState<PolicyInput>(NEW_POLICY);
  const [refresh, setRefresh] = useState(0);
  const admin = me.role === "admin";

  const load = useCallback(async () => {
    try {
      setPolicies(await listPolicies());
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, []);
  useEffect(() => void load(), [load]);

  const open = (p: Policy | null) => {
    setEditing(p);
    setDraft(p ? inputOf(p) : NEW_POLICY);
  };
  const saved = (p: Policy) => {
    setEditing(p);
    void load();
  };
  const remove = async (p: Policy) => {
    if (
      !window.confirm(
        `Delete the policy ${p.name}? Chats with the models and keys it applies to are no longer checked by it. Its flags stay in the log.`,
      )
    )
      return;
    try {
      await deletePolicy(p.id);
      if (editing?.id === p.id) setEditing(undefined);
      await load();
      setRefresh((n) => n + 1);
    } catch (e) {
      setError(e);
    }
  };

  return (
    <div className="moderation">
      <h1>Moderation</h1>
      <p className="lead">
        A policy says what to catch in the questions people ask your models and in the answers they
        give (harmful content, your own blocked words, personal data) and what to do then: block it,
        hide it, or only flag it for you to read here.
      </p>
      {error !== null && <ErrorBox error={error} retry={() => void load()} />}
      <section aria-labelledby="h-policies">
        <h2 id="h-policies">Policies</h2>
        {!policies && error === null && <Loading what="Loading policies…" />}
        {policies?.length === 0 && (
          <Empty title="No policies yet">Create one to start checking your models' chats.</Empty>
        )}
        {policies && policies.length > 0 && (
          <ul className="rows" data-testid="policies">
            {policies.map((p) => (
              <li key={p.id} className={editing?.id === p.id ? "current" : undefined}>
                <span>
                  <strong>{p.name}</strong>
                  {p.description && <span className="hint">{p.description}</span>}
                  <span className="hint">{summary(p)}</span>
                </span>
                <span className="row-buttons">
                  <button
                    type="button"
                    className="secondary"
                    aria-label={`${admin ? "Edit or try" : "Try"} ${p.name}`}
                    onClick={() => open(p)}
                  >
                    {admin ? "Edit / try" : "Try"}
                  </button>
                  {admin && (
                    <button
                      type="button"
                      className="danger"
                      aria-label={`Delete the policy ${p.name}`}
                      onClick={() => void remove(p)}
                    >
                      Delete
                    </button>
                  )}
                </span>
              </li>
            ))}
          </ul>
        )}
        {editing === undefined && admin && (
          <div className="actions">
            <button type="button" className="primary" onClick={() => open(null)}>
              New policy
            </button>
          </div>
        )}
        {!admin && (
          <p className="hint">
            Only an admin can create, change or delete a policy; you can open one to try it. The
            flags below are those of your own requests.
          </p>
        )}
      </section>

      {editing !== undefined && (
        <div className="moderation-work">
          <div>
            <PolicyEditor
              key={editing?.id ?? "new"}
              policy={editing}
              onSaved={saved}
              onCancel={() => setEditing(undefined)}
              onDraft={setDraft}
              canSave={admin}
            />
            {editing && admin && <Attach key={editing.id} policy={editing} onSaved={saved} />}
          </div>
          <TryIt policy={draft} />
        </div>
      )}

      <Flags policies={policies ?? []} refresh={refresh} onRefresh={() => void load()} />
    </div>
  );
}
