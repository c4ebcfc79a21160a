import { type FormEvent, useCallback, useEffect, useState } from "react";
import {
  type ApiKey,
  type Audit,
  api,
  type FileInfo,
  type Model,
  type NewKey,
  type Principal,
} from "../api.ts";
import { Empty, ErrorBox, Loading } from "../ui.tsx";
import { Serving } from "./export/Serving.tsx";
import type { PageProps } from "./types.ts";

const when = (s: number | null) => (s ? new Date(s * 1000).toLocaleString() : "never");

function useList<T>(path: string | null): [T[] | null, unknown, () => void] {
  const [items, setItems] = useState<T[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(() => {
    if (!path) return;
    setError(null);
    api<{ data: T[] }>(path)
      .then((r) => setItems(r.data))
      .catch(setError);
  }, [path]);
  useEffect(load, [load]);
  return [items, error, load];
}

function Models() {
  const [models, error, reload] = useList<Model>("/v1/models");
  const [problem, setProblem] = useState<unknown>(null);
  const mine = models?.filter((m) => m.tailor.kind === "fine_tuned") ?? null;
  const remove = async (id: string) => {
    if (!window.confirm(`Delete ${id}? Programs and chats that use this name will stop working.`))
      return;
    try {
      await api(`/v1/models/${encodeURIComponent(id)}`, { method: "DELETE" });
      reload();
    } catch (e) {
      setProblem(e);
    }
  };
  return (
    <section aria-labelledby="h-models">
      <h2 id="h-models">Your models</h2>
      <p className="hint">
        Deleting a model removes what training added (its adapter) from this computer. The base
        model and your examples stay, so you can train it again.
      </p>
      {error !== null && <ErrorBox error={error} retry={reload} />}
      {problem !== null && <ErrorBox error={problem} />}
      {!mine && error === null && <Loading what="Loading models…" />}
      {mine?.length === 0 && <Empty title="No trained models yet" />}
      {mine && mine.length > 0 && (
        <ul className="rows">
          {mine.map((m) => (
            <li key={m.id}>
              <span>
                <strong>{m.id}</strong>
                <span className="hint">{m.tailor.description}</span>
                <Serving model={m} />
              </span>
              <button
                type="button"
                className="danger"
                onClick={() => void remove(m.id)}
                aria-label={`Delete model ${m.id}`}
              >
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Files() {
  const [files, error, reload] = useList<FileInfo>("/v1/files?limit=100");
  const [problem, setProblem] = useState<unknown>(null);
  const remove = async (f: FileInfo) => {
    if (!window.confirm(`Delete ${f.filename}? Models already trained on it keep working.`)) return;
    try {
      await api(`/v1/files/${f.id}`, { method: "DELETE" });
      reload();
    } catch (e) {
      setProblem(e);
    }
  };
  return (
    <section aria-labelledby="h-files">
      <h2 id="h-files">Your data</h2>
      <p className="hint">
        Deleting a file removes the uploaded examples and their stored bytes from this computer.
        Models already trained on them keep working.
      </p>
      {error !== null && <ErrorBox error={error} retry={reload} />}
      {problem !== null && <ErrorBox error={problem} />}
      {!files && error === null && <Loading what="Loading files…" />}
      {files?.length === 0 && <Empty title="No files uploaded yet" />}
      {files && files.length > 0 && (
        <ul className="rows">
          {files.map((f) => (
            <li key={f.id}>
              <span>
                <strong>{f.filename}</strong>
                <span className="hint">
                  {f.tailor.examples} examples, {f.tailor.errors} errors · uploaded{" "}
                  {when(f.created_at)}
                </span>
              </span>
              <button
                type="button"
                className="danger"
                onClick={() => void remove(f)}
                aria-label={`Delete file ${f.filename}`}
              >
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Keys({ me, changed }: { me: Principal; changed: () => void }) {
  const [keys, error, reload] = useList<ApiKey>("/v1/keys");
  const [name, setName] = useState("");
  const [role, setRole] = useState<"member" | "viewer" | "admin">("member");
  const [made, setMade] = useState<NewKey | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  const create = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    try {
      setMade(await api<NewKey>("/v1/keys", { body: { name, role } }));
      setName("");
      reload();
      changed();
    } catch (err) {
      setProblem(err);
    }
  };
  const revoke = async (k: ApiKey) => {
    const self =
      k.id === me.key_id ? " This is the key you are signed in with: you will be signed out." : "";
    if (
      !window.confirm(
        `Revoke ${k.name}'s key? It stops working at once and cannot be restored.${self}`,
      )
    )
      return;
    try {
      await api(`/v1/keys/${k.id}/revoke`, { method: "POST" });
      reload();
      changed();
    } catch (err) {
      setProblem(err);
    }
  };
  return (
    <section aria-labelledby="h-keys">
      <h2 id="h-keys">API keys</h2>
      <p className="hint">
        A key lets a person or a program use Tailor. Admins manage keys and read the log; members
        upload, train and chat; viewers only chat and read.
      </p>
      <form className="inline-form" onSubmit={(e) => void create(e)}>
        <div className="field">
          <label htmlFor="key-name">Who is it for?</label>
          <input
            id="key-name"
            value={name}
            required
            maxLength={100}
            onChange={(e) => setName(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="key-role">Role</label>
          <select
            id="key-role"
            value={role}
            onChange={(e) => setRole(e.target.value as typeof role)}
          >
            <option value="member">member: upload, train, chat</option>
            <option value="viewer">viewer: chat and read</option>
            <option value="admin">admin: everything, keys included</option>
          </select>
        </div>
        <button type="submit" className="primary">
          Create key
        </button>
      </form>
      {made && (
        <div className="state ok" role="status">
          Key for <strong>{made.name}</strong>: <code className="secret">{made.key}</code>. Copy it
          now: it is shown only this once.
        </div>
      )}
      {problem !== null && <ErrorBox error={problem} />}
      {error !== null && <ErrorBox error={error} retry={reload} />}
      {!keys && error === null && <Loading what="Loading keys…" />}
      {keys && (
        <ul className="rows">
          {keys.map((k) => (
            <li key={k.id} className={k.revoked_at ? "revoked" : undefined}>
              <span>
                <strong>{k.name}</strong> ({k.role}) <code>{k.prefix}…</code>
                <span className="hint">
                  {k.revoked_at
                    ? `revoked ${when(k.revoked_at)}`
                    : `last used ${when(k.last_used_at)}`}
                </span>
              </span>
              {!k.revoked_at && (
                <button
                  type="button"
                  className="danger"
                  onClick={() => void revoke(k)}
                  aria-label={`Revoke the key of ${k.name}`}
                >
                  Revoke
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function AuditLog() {
  const [entries, error, reload] = useList<Audit>("/v1/audit?limit=50");
  return (
    <section aria-labelledby="h-audit">
      <h2 id="h-audit">Audit log</h2>
      <p className="hint">Every change, and every refused request, newest first.</p>
      {error !== null && <ErrorBox error={error} retry={reload} />}
      {!entries && error === null && <Loading what="Loading the log…" />}
      {entries && (
        <div className="table-scroll">
          <table className="audit">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">On</th>
                <th scope="col">Result</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.seq}>
                  <td>{new Date(e.at).toLocaleString()}</td>
                  <td>{e.owner ?? "unknown"}</td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>{e.target ?? ""}</td>
                  <td className={`result-${e.result}`}>{e.result}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function Manage({ me }: PageProps & { me: Principal }) {
  const [changes, setChanges] = useState(0); // the log shows each key change as it happens
  return (
    <div className="manage">
      <h1>Models, data and keys</h1>
      <Models />
      <Files />
      {me.role === "admin" ? (
        <>
          <Keys me={me} changed={() => setChanges((n) => n + 1)} />
          <AuditLog key={changes} />
        </>
      ) : (
        <p className="hint">Keys and the audit log are for admins.</p>
      )}
    </div>
  );
}
