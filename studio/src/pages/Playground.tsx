import { type FormEvent, useEffect, useRef, useState } from "react";
import {
  api,
  type ChatChunk,
  type Citation,
  type Model,
  sse,
  type VectorStore,
  words,
} from "../api.ts";
import { Empty, ErrorBox, GLOSSARY, Hint, Loading } from "../ui.tsx";
import { Chat, type Turn } from "./playground/Chat.tsx";
import { Code } from "./playground/Code.tsx";
import { DocsToggle } from "./playground/DocsToggle.tsx";
import { type Sampling, Sliders } from "./playground/Sampling.tsx";
import type { PageProps } from "./types.ts";

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
  const stop = useRef<AbortController | null>(null);

  useEffect(() => {
    api<{ data: Model[] }>("/v1/models")
      .then((r) => setModels(r.data.filter((m) => m.tailor.kind !== "embedding")))
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
    models?.find((m) => m.tailor.kind === "fine_tuned") ??
    models?.[0];
  const base = tuned?.tailor.base ?? null;
  const shown = [tuned?.id, base].filter((m): m is string => !!m);

  const send = async (e: FormEvent) => {
    e.preventDefault();
    const text = message.trim();
    if (!text || pending || !tuned) return;
    setMessage("");
    setPending(true);
    setError(null);
    const ctl = new AbortController();
    stop.current = ctl;
    const history = (m: string) => chats[m] ?? [];
    const next = Object.fromEntries(
      shown.map((m) => [
        m,
        [...history(m), { role: "user", content: text }, { role: "assistant", content: "" }],
      ]),
    ) as Record<string, Turn[]>;
    setChats((c) => ({ ...c, ...next }));
    const append = (m: string, delta: string) =>
      setChats((c) => {
        const turns = [...(c[m] ?? [])];
        const last = turns.at(-1);
        if (last) turns[turns.length - 1] = { ...last, content: last.content + delta };
        return { ...c, [m]: turns };
      });
    const cite = (m: string, r: { citations: Citation[]; found: boolean }) =>
      setChats((c) => {
        const turns = [...(c[m] ?? [])];
        const last = turns.at(-1);
        if (last)
          turns[turns.length - 1] = { ...last, citations: r.citations, nothingFound: !r.found };
        return { ...c, [m]: turns };
      });
    const retrieval = useDocs && storeId ? { tailor: { vector_store_ids: [storeId] } } : {};
    // one after the other: on a small machine two generations at once are slower than two in turn
    for (const m of shown) {
      try {
        const messages = [
          ...(system ? [{ role: "system", content: system }] : []),
          ...history(m).map(({ role, content }) => ({ role, content })),
          { role: "user", content: text },
        ];
        for await (const chunk of sse("/v1/chat/completions", {
          signal: ctl.signal,
          body: { model: m, messages, stream: true, ...sampling, ...retrieval },
        })) {
          if (chunk.data === "[DONE]") break;
          const c = JSON.parse(chunk.data) as ChatChunk;
          if (c.tailor) cite(m, c.tailor);
          const delta = c.choices[0]?.delta.content;
          if (delta) append(m, delta);
        }
      } catch (err) {
        if (ctl.signal.aborted) break;
        append(m, `(no answer: ${words(err)})`);
      }
    }
    setPending(false);
  };

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
                  {m.id} {m.tailor.kind === "fine_tuned" ? "(yours)" : "(base)"}
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
          <Code model={tuned.id} system={system} sampling={sampling} />
        </>
      )}
    </section>
  );
}
