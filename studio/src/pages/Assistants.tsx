import { useCallback, useEffect, useState } from "react";
import { Empty, ErrorBox, Loading } from "../ui.tsx";
import "./assistants/assistants.css";
import { Conversations } from "./assistants/Conversations.tsx";
import {
  type AssistantObject,
  deleteAssistant,
  getAssistant,
  listAssistants,
  shareUrl,
} from "./assistants/client.ts";
import { Editor } from "./assistants/Editor.tsx";
import { Publish } from "./assistants/Publish.tsx";
import { Versions } from "./assistants/Versions.tsx";
import type { PageProps } from "./types.ts";

const TABS = [
  { id: "settings", label: "Settings" },
  { id: "publish", label: "Publish" },
  { id: "versions", label: "Versions" },
  { id: "conversations", label: "Conversations" },
] as const;
type Tab = (typeof TABS)[number]["id"];

/** The open assistant and tab live in the address (?id=…&tab=…), so a reload or a link returns there. */
function remember(id: string | null, tab: Tab) {
  const q = new URLSearchParams();
  if (id) q.set("id", id);
  if (id && tab !== "settings") q.set("tab", tab);
  const s = q.toString();
  window.history.replaceState(null, "", `/assistants${s ? `?${s}` : ""}`);
}

/**
 * Assistants: a model with instructions, knowledge, functions and moderation, set up in plain words,
 * published on a share page for people without a Tailor key, and its conversations read here.
 */
export function Assistants(_props: PageProps) {
  const query = new URLSearchParams(window.location.search);
  const [list, setList] = useState<AssistantObject[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  /** undefined: nothing open; null: a new assistant. */
  const [open, setOpen] = useState<AssistantObject | null | undefined>(undefined);
  const [wanted] = useState(query.get("id"));
  const [tab, setTab] = useState<Tab>(
    (TABS.find((t) => t.id === query.get("tab"))?.id as Tab | undefined) ?? "settings",
  );
  const [note, setNote] = useState("");
  /** Bumped to draw the editor again from the saved settings. */
  const [fresh, setFresh] = useState(0);

  const load = useCallback(async () => {
    try {
      setList(await listAssistants());
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, []);
  useEffect(() => void load(), [load]);
  useEffect(() => {
    if (wanted) getAssistant(wanted).then(setOpen).catch(setError);
  }, [wanted]);
  useEffect(() => {
    if (open !== undefined) remember(open?.id ?? null, tab);
  }, [open, tab]);

  const choose = (a: AssistantObject | null, t: Tab = "settings") => {
    setOpen(a);
    setTab(t);
    setNote("");
    setFresh((n) => n + 1);
  };
  const saved = (a: AssistantObject) => {
    setOpen(a);
    setNote(`Version ${a.tailor.version} saved.`);
    setFresh((n) => n + 1);
    void load();
  };
  const changed = (a: AssistantObject) => {
    setOpen(a);
    void load();
  };
  const remove = async (a: AssistantObject) => {
    const name = a.tailor.settings.name;
    if (
      !window.confirm(
        `Delete the assistant ${name}? Its page stops working and its conversations are deleted.`,
      )
    )
      return;
    try {
      await deleteAssistant(a.id);
      setOpen(undefined);
      window.history.replaceState(null, "", "/assistants");
      await load();
    } catch (e) {
      setError(e);
    }
  };

  return (
    <div className="assistants">
      <h1>Assistants</h1>
      <p className="lead">
        An assistant is one of your models with instructions, your documents, functions it may call
        and a moderation policy, on a page of its own that you share with the people it serves
        (students, customers) — they need no Tailor account. You read what they asked here.
      </p>
      {error !== null && <ErrorBox error={error} retry={() => void load()} />}
      {!list && error === null && <Loading what="Loading assistants…" />}
      {list?.length === 0 && (
        <Empty title="No assistants yet">Make one: it takes a name, a model and a few words.</Empty>
      )}
      {list && list.length > 0 && (
        <ul className="rows assistants-list" data-testid="assistants">
          {list.map((a) => {
            const url = shareUrl(a);
            return (
              <li key={a.id} className={open?.id === a.id ? "current" : undefined}>
                <span>
                  <strong>{a.tailor.settings.name}</strong>
                  <span className="hint">
                    {a.tailor.settings.model} · version {a.tailor.version}
                  </span>
                  {url ? (
                    <span className="hint">
                      Published: <a href={url}>{url}</a>
                    </span>
                  ) : (
                    <span className="hint">Not published</span>
                  )}
                </span>
                <button
                  type="button"
                  className="secondary"
                  aria-label={`Open ${a.tailor.settings.name}`}
                  onClick={() => choose(a)}
                >
                  Open
                </button>
              </li>
            );
          })}
        </ul>
      )}
      {open !== null && (
        <div className="actions">
          <button type="button" className="primary" onClick={() => choose(null)}>
            New assistant
          </button>
        </div>
      )}

      {open === null && (
        <div className="assistants-panel assistants-new">
          <Editor
            key={`new-${fresh}`}
            assistant={null}
            onSaved={(a) => {
              saved(a);
              setTab("settings");
            }}
            onCancel={() => setOpen(undefined)}
          />
        </div>
      )}
      {open && (
        <section className="assistants-open" aria-labelledby="h-asst-open">
          <h2 id="h-asst-open">{open.tailor.settings.name}</h2>
          <p role="status" className="assistants-note" data-testid="saved-note">
            {note}
          </p>
          <div className="tabs assistants-tabs" role="tablist" aria-label="About this assistant">
            {TABS.map((t) => (
              <button
                key={t.id}
                type="button"
                role="tab"
                id={`asst-tab-${t.id}`}
                aria-selected={tab === t.id}
                aria-controls="asst-panel"
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
            className="assistants-panel"
            role="tabpanel"
            id="asst-panel"
            aria-labelledby={`asst-tab-${tab}`}
          >
            {tab === "settings" && (
              <>
                <Editor
                  key={`${open.id}-${fresh}`}
                  assistant={open}
                  onSaved={saved}
                  onCancel={() => setFresh((n) => n + 1)}
                />
                <p>
                  <button type="button" className="link" onClick={() => void remove(open)}>
                    Delete this assistant
                  </button>
                </p>
              </>
            )}
            {tab === "publish" && <Publish key={open.id} assistant={open} onChange={changed} />}
            {tab === "versions" && (
              <Versions
                key={`${open.id}-${open.tailor.version}`}
                id={open.id}
                current={open.tailor.version}
              />
            )}
            {tab === "conversations" && <Conversations key={open.id} assistant={open} />}
          </div>
        </section>
      )}
    </div>
  );
}
