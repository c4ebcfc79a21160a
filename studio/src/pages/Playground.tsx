import { type FormEvent, useEffect, useRef, useState } from "react";
import { api, type Model, type VectorStore, words } from "../api.ts";
import { Empty, ErrorBox, GLOSSARY, Hint, Loading } from "../ui.tsx";
import { Chat } from "./playground/Chat.tsx";
import { ClassifierPlayground } from "./playground/Classifier.tsx";
import { Code } from "./playground/Code.tsx";
import { DocsToggle } from "./playground/DocsToggle.tsx";
import { type Sampling, Sliders } from "./playground/Sampling.tsx";
import { streamAnswer } from "./playground/stream.ts";
import { ToolsPanel } from "./playground/Tools.tsx";
import {
  addFragments,
  apiMessages,
  NO_TOOLS,
  type Offer,
  offer,
  type ToolsState,
  type Turn,
  waiting,
} from "./playground/tools.ts";
import type { PageProps } from "./types.ts";

/** The functions a fine-tuned model was trained with (the API's `tailor.tools`). */
const trainedTools = (m: Model | undefined): unknown[] | null =>
  m?.tailor.tools?.length ? m.tailor.tools : null;

/** The offer of the panel, or nothing where a text in it is not valid yet (for the snippet). */
const offerOrNothing = (s: ToolsState): Offer => {
  try {
    return offer(s);
  } catch {
    return {};
  }
};

export function Playground({ flow, update }: PageProps) {
  const [models, setModels] = useState<Model[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [system, setSystem] = useState("");
  const [sampling, setSampling] = useState<Sampling>({
    temperature: 0.7,
    top_p: 1,
    top_k: 0,
    max_tokens: 128,
  });
  const [message, setMessage] = useState("");
  const [chats, setChats] = useState<Record<string, Turn[]>>({});
  const [pending, setPending] = useState(false);
  const [stores, setStores] = useState<VectorStore[]>([]);
  const [useDocs, setUseDocs] = useState(false);
  const [storeId, setStoreId] = useState<string | null>(null);
  const [tools, setTools] = useState<ToolsState>(NO_TOOLS);
  const stop = useRef<AbortController | null>(null);

  useEffect(() => {
    api<{ data: Model[] }>("/v1/models")
      .then((r) =>
        // the embedding and moderation models write no answers
        setModels(
          r.data.filter((m) => m.tailor.kind !== "embedding" && m.tailor.kind !== "moderation"),
        ),
      )
      .catch(setError);
    api<{ data: VectorStore[] }>("/v1/vector_stores?limit=100")
      .then((r) => {
        setStores(r.data);
        setStoreId((s) => s ?? r.data[0]?.id ?? null);
      })
      .catch(() => setStores([])); // a viewer key has no documents: the toggle stays hidden
    return () => stop.current?.abort();
  }, []);

  const tuned =
    models?.find((m) => m.id === flow.model) ??
    models?.find((m) => m.tailor.kind === "fine_tuned" && !m.tailor.classifier) ??
    models?.[0];
  const base = tuned?.tailor.base ?? null;
  const shown = [tuned?.id, base].filter((m): m is string => !!m);
  const trained = trainedTools(tuned);

  // a model trained with functions is offered them from the start
  useEffect(() => {
    if (trained) setTools((s) => ({ ...s, tools: JSON.stringify(trained, null, 2) }));
  }, [trained]);

  const patchLast = (m: string, f: (t: Turn) => Turn) =>
    setChats((c) => {
      const turns = [...(c[m] ?? [])];
      const last = turns.at(-1);
      if (last) turns[turns.length - 1] = f(last);
      return { ...c, [m]: turns };
    });

  /** Model m answers the conversation `turns` (streamed into a new assistant turn). */
  const answer = async (m: string, turns: Turn[], ctl: AbortController, extra: Offer) => {
    setChats((c) => ({ ...c, [m]: [...turns, { role: "assistant", content: "" }] }));
    const retrieval = useDocs && storeId ? { tailor: { vector_store_ids: [storeId] } } : {};
    try {
      await streamAnswer(
        // kept, so that a thumb or a correction under the answer reaches the Review page
        {
          model: m,
          messages: apiMessages(system, turns),
          store: true,
          ...sampling,
          ...extra,
          ...retrieval,
        },
        ctl.signal,
        {
          content: (d) => patchLast(m, (t) => ({ ...t, content: t.content + d })),
          calls: (f) => patchLast(m, (t) => ({ ...t, calls: addFragments(t.calls ?? [], f) })),
          retrieval: (r) =>
            patchLast(m, (t) => ({ ...t, citations: r.citations, nothingFound: !r.found })),
          id: (id) => patchLast(m, (t) => ({ ...t, completionId: id })),
        },
      );
      return true;
    } catch (err) {
      if (ctl.signal.aborted) return false;
      patchLast(m, (t) => ({ ...t, content: `${t.content}(no answer: ${words(err)})` }));
      return true;
    }
  };

  /** Runs `go` with the controls locked and Stop armed; a panel that is not valid JSON stops it. */
  const run = async (go: (ctl: AbortController, extra: Offer) => Promise<void>) => {
    let extra: Offer;
    try {
      extra = offer(tools);
    } catch (e) {
      setError(e);
      return;
    }
    setPending(true);
    setError(null);
    const ctl = new AbortController();
    stop.current = ctl;
    await go(ctl, extra);
    setPending(false);
  };

  const send = async (e: FormEvent) => {
    e.preventDefault();
    const text = message.trim();
    if (!text || pending || !tuned) return;
    await run(async (ctl, extra) => {
      setMessage("");
      // one after the other: on a small machine two generations at once are slower than two in turn
      for (const m of shown) {
        const turns: Turn[] = [...(chats[m] ?? []), { role: "user", content: text }];
        if (!(await answer(m, turns, ctl, extra))) break;
      }
    });
  };

  /** The user typed what call `callId` returned: once every call has its result, the model goes on. */
  const sendResult = async (m: string, callId: string, result: string) => {
    const turns = chats[m] ?? [];
    const call = waiting(turns).find((c) => c.id === callId);
    if (!call || pending) return;
    const next: Turn[] = [...turns, { role: "tool", content: result, callId, name: call.name }];
    if (waiting(next).length) {
      setChats((c) => ({ ...c, [m]: next }));
      return;
    }
    await run(async (ctl, extra) => {
      await answer(m, next, ctl, extra);
    });
  };

  if (models && tuned?.tailor.classifier)
    return (
      <section aria-labelledby="h-play">
        <h1 id="h-play">6. Playground</h1>
        <p className="lead">Paste messages and see which label your classifier gives each.</p>
        <ClassifierPlayground
          models={models}
          model={tuned.id}
          onModel={(id) => update({ model: id })}
        />
        <button
          type="button"
          className="link"
          onClick={() => update({ model: models.find((m) => !m.tailor.classifier)?.id ?? null })}
        >
          Chat with a model that writes answers instead
        </button>
      </section>
    );
  return (
    <section aria-labelledby="h-play">
      <h1 id="h-play">6. Playground</h1>
      <p className="lead">
        Chat with your model, with the base model it came from beside it, to see what training
        changed.
      </p>
      {error !== null && <ErrorBox error={error} />}
      {!models && error === null && <Loading what="Loading models…" />}
      {models?.length === 0 && <Empty title="No models to chat with" />}
      {models && tuned && (
        <>
          <div className="field">
            <label htmlFor="model">Model</label>
            <select id="model" value={tuned.id} onChange={(e) => update({ model: e.target.value })}>
              {models.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.id}{" "}
                  {m.tailor.classifier
                    ? "(classifier)"
                    : m.tailor.kind === "fine_tuned"
                      ? "(yours)"
                      : "(base)"}
                </option>
              ))}
            </select>
          </div>
          <div className="playground">
            <div className="controls">
              <div className="field">
                <label htmlFor="system">System prompt</label>
                <textarea
                  id="system"
                  rows={3}
                  value={system}
                  aria-describedby="system-help"
                  onChange={(e) => setSystem(e.target.value)}
                  placeholder="e.g. You answer customer e-mails for Northwind Bikes."
                />
                <Hint id="system-help">{GLOSSARY.system_prompt}</Hint>
              </div>
              {stores.length > 0 && (
                <DocsToggle
                  stores={stores}
                  on={useDocs}
                  onToggle={setUseDocs}
                  storeId={storeId}
                  onStore={setStoreId}
                />
              )}
              <ToolsPanel state={tools} onChange={setTools} trained={trained !== null} />
              <Sliders sampling={sampling} onChange={setSampling} />
            </div>
            <div className="chats">
              <div className="pair">
                {shown.map((m, i) => (
                  <Chat
                    key={m}
                    model={m}
                    label={
                      i === 0
                        ? tuned.tailor.kind === "fine_tuned"
                          ? "Your model"
                          : "Model"
                        : "Base model"
                    }
                    turns={chats[m] ?? []}
                    pending={pending}
                    onResult={(id, r) => void sendResult(m, id, r)}
                  />
                ))}
              </div>
              <form className="ask" onSubmit={(e) => void send(e)}>
                <label htmlFor="message" className="sr-only">
                  Your message
                </label>
                <textarea
                  id="message"
                  rows={2}
                  value={message}
                  placeholder="Write a message…"
                  onChange={(e) => setMessage(e.target.value)}
                  onKeyDown={(e) => {
                    if (e.key === "Enter" && !e.shiftKey) {
                      e.preventDefault();
                      e.currentTarget.form?.requestSubmit();
                    }
                  }}
                />
                {pending ? (
                  <button type="button" className="secondary" onClick={() => stop.current?.abort()}>
                    Stop
                  </button>
                ) : (
                  <button type="submit" className="primary">
                    Send
                  </button>
                )}
                <button
                  type="button"
                  className="link"
                  onClick={() => setChats({})}
                  disabled={pending}
                >
                  Clear
                </button>
              </form>
            </div>
          </div>
          <Code
            model={tuned.id}
            system={system}
            sampling={sampling}
            offer={offerOrNothing(tools)}
          />
        </>
      )}
    </section>
  );
}
