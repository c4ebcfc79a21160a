import { type FormEvent, useCallback, useEffect, useState } from "react";
import type { Model, Principal } from "../api.ts";
import { Empty, ErrorBox, Loading, plural } from "../ui.tsx";
import { placeError, saidOf } from "./assistants/errors.ts";
import { Field } from "./assistants/fields.tsx";
import type { PageProps } from "./types.ts";
import {
  createName,
  getName,
  listChatModels,
  listNames,
  type ModelName,
  type ModelNameDetail,
} from "./versions/client.ts";
import { Health } from "./versions/Health.tsx";
import { Regression } from "./versions/Regression.tsx";
import { Retrain } from "./versions/Retrain.tsx";
import { VersionList } from "./versions/VersionList.tsx";
import "./versions/versions.css";

const TABS = [
  { id: "versions", label: "Versions" },
  { id: "retrain", label: "Retrain" },
  { id: "regression", label: "Regression set" },
  { id: "health", label: "Health" },
] as const;
type Tab = (typeof TABS)[number]["id"];

/** The open name and tab live in the address (?name=…&tab=…), so a reload or a link returns there. */
function remember(name: string | null, tab: Tab) {
  const q = new URLSearchParams();
  if (name) q.set("name", name);
  if (name && tab !== "versions") q.set("tab", tab);
  const s = q.toString();
  window.history.replaceState(null, "", `/versions${s ? `?${s}` : ""}`);
}

/** A new model name: what apps ask for, pointing at one of your models as version 1. */
function NewName({ onMade }: { onMade: (n: ModelName) => void }) {
  const [models, setModels] = useState<Model[]>([]);
  const [name, setName] = useState("");
  const [model, setModel] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
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
      onMade(await createName({ name: name.trim(), model }));
      setName("");
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const placed = placeError(error, ["name", "model"]);
  const beside = (f: string) => (placed?.field === f ? placed.said : null);
  return (
    <form className="versions-new" onSubmit={(e) => void submit(e)} aria-labelledby="h-new-name">
      <h2 id="h-new-name">New model name</h2>
      <div className="versions-new-fields">
        <Field
          id="new-name"
          label="Name"
          hint="What apps and assistants ask for, e.g. support: lowercase letters, digits, - and _."
          error={beside("name")}
        >
          {(c) => (
            <input
              {...c}
              value={name}
              autoComplete="off"
              spellCheck={false}
              onChange={(e) => setName(e.target.value)}
            />
          )}
        </Field>
        <Field id="new-model" label="Version 1 is" error={beside("model")}>
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
      </div>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || !name.trim() || !model}>
          Make the name
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

/**
 * Versions & health: a model name (`support`) answers with one version at a time. Here its versions
 * (promote, roll back, each with why), retraining on reviewed answers, the examples it must never
 * break, and how it does in use.
 */
export function Versions({ me, update, go }: PageProps & { me: Principal }) {
  const query = new URLSearchParams(window.location.search);
  const [list, setList] = useState<ModelName[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState<ModelNameDetail | null>(null);
  const [wanted] = useState(query.get("name"));
  const [tab, setTab] = useState<Tab>(
    (TABS.find((t) => t.id === query.get("tab"))?.id as Tab | undefined) ?? "versions",
  );
  const [note, setNote] = useState("");
  const [adding, setAdding] = useState(false);

  const load = useCallback(async () => {
    try {
      setList(await listNames());
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, []);
  useEffect(() => void load(), [load]);
  useEffect(() => {
    if (wanted) getName(wanted).then(setOpen).catch(setError);
  }, [wanted]);
  useEffect(() => {
    if (open) remember(open.name, tab);
  }, [open, tab]);

  const choose = async (name: string, said = "") => {
    try {
      setOpen(await getName(name));
      setNote(said);
    } catch (e) {
      setError(e);
    }
  };
  const toJob = (jobId: string) => {
    update({ jobId });
    go("/training");
  };

  return (
    <div className="versions">
      <h1>Versions &amp; health</h1>
      <p className="lead">
        A model is not right forever: what people ask changes. Give a model a name that your apps
        and assistants ask for; retrain it on answers people corrected, and the name moves to the
        new version only if it does better. Promote or roll back by hand at any time, and watch how
        it does.
      </p>
      {error !== null && <ErrorBox error={error} retry={() => void load()} />}
      {!list && error === null && <Loading what="Loading model names…" />}
      {list?.length === 0 && (
        <Empty title="No model names yet">Make one below for a model you use.</Empty>
      )}
      {list && list.length > 0 && (
        <ul className="rows versions-names" data-testid="names">
          {list.map((n) => (
            <li key={n.name} className={open?.name === n.name ? "current" : undefined}>
              <span>
                <strong className="mono">{n.name}</strong>
                <span className="hint">
                  version {n.current} answering ({n.current_model}) ·{" "}
                  {plural(n.versions.length, "version")}
                </span>
              </span>
              <button
                type="button"
                className="secondary"
                aria-label={`Open ${n.name}`}
                onClick={() => void choose(n.name)}
              >
                Open
              </button>
            </li>
          ))}
        </ul>
      )}
      {me.role !== "viewer" &&
        (adding || list?.length === 0 ? (
          <NewName
            onMade={(n) => {
              setAdding(false);
              setTab("versions");
              void load();
              void choose(n.name, `${n.name} made: version 1 answers.`);
            }}
          />
        ) : (
          <div className="actions">
            <button type="button" className="secondary" onClick={() => setAdding(true)}>
              New model name
            </button>
          </div>
        ))}
      {open && (
        <section className="versions-open" aria-labelledby="h-name-open">
          <h2 id="h-name-open">{open.name}</h2>
          <p role="status" className="versions-note" data-testid="name-note">
            {note}
          </p>
          <div className="tabs versions-tabs" role="tablist" aria-label={`About ${open.name}`}>
            {TABS.map((t) => (
              <button
                key={t.id}
                type="button"
                role="tab"
                id={`name-tab-${t.id}`}
                aria-selected={tab === t.id}
                aria-controls="name-panel"
                className={tab === t.id ? "tab active" : "tab"}
                onClick={() => {
                  setTab(t.id);
                  setNote("");
                }}
              >
                {t.label}
              </button>
            ))}
          </div>
          <div
            className="versions-panel"
            role="tabpanel"
            id="name-panel"
            aria-labelledby={`name-tab-${tab}`}
          >
            {tab === "versions" && (
              <VersionList
                key={`${open.name}-${open.current}`}
                detail={open}
                me={me}
                onJob={toJob}
                onChange={(n, said) => {
                  setOpen(n);
                  setNote(said);
                  void load();
                }}
              />
            )}
            {tab === "retrain" && <Retrain key={open.name} name={open} me={me} onJob={toJob} />}
            {tab === "regression" && <Regression key={open.name} name={open.name} me={me} />}
            {tab === "health" && <Health key={open.name} name={open.name} />}
          </div>
        </section>
      )}
    </div>
  );
}
