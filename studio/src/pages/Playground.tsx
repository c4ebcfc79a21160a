import { type FormEvent, useEffect, useRef, useState } from "react";
import { api, type Citation, chunkLink, type Model, sse, type VectorStore, words } from "../api.ts";
import { Empty, ErrorBox, GLOSSARY, Hint, Loading } from "../ui.tsx";
import type { PageProps } from "./types.ts";

interface Turn {
  role: "user" | "assistant";
  content: string;
  /** The passages the answer was given (with "Use my documents"). */
  citations?: Citation[];
  /** Retrieval found nothing relevant. */
  nothingFound?: boolean;
}
interface Sampling {
  temperature: number;
  top_p: number;
  top_k: number;
  max_tokens: number;
}

const SLIDERS: {
  key: keyof Sampling;
  label: string;
  min: number;
  max: number;
  step: number;
  help: string;
}[] = [
  {
    key: "temperature",
    label: "Temperature",
    min: 0,
    max: 2,
    step: 0.1,
    help: GLOSSARY.temperature,
  },
  { key: "top_p", label: "Top-p", min: 0.05, max: 1, step: 0.05, help: GLOSSARY.top_p },
  { key: "top_k", label: "Top-k", min: 0, max: 100, step: 1, help: GLOSSARY.top_k },
  {
    key: "max_tokens",
    label: "Max tokens",
    min: 16,
    max: 1024,
    step: 16,
    help: GLOSSARY.max_tokens,
  },
];

function Chat({
  model,
  turns,
  pending,
  label,
}: {
  model: string;
  turns: Turn[];
  pending: boolean;
  label: string;
}) {
  return (
    <div className="chat" aria-label={`${label}: ${model}`} role="log" aria-live="polite">
      <h3>
        {label} <span className="model-name">{model}</span>
      </h3>
      {turns.length === 0 && <p className="muted">Ask something below to see how it answers.</p>}
      {turns.map((t, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: turns are only ever appended
        <p key={`${i}-${t.role}`} className={`turn ${t.role}`}>
          <span className="sr-only">{t.role === "user" ? "You:" : "Model:"}</span>
          {t.content || (pending && i === turns.length - 1 ? "…" : "")}
          {t.nothingFound && (
            <span className="sources muted">Nothing in your documents matched this question.</span>
          )}
          {t.citations && t.citations.length > 0 && (
            <span className="sources">
              Sources:{" "}
              {t.citations.map((c) => (
                <a
                  key={c.index}
                  href={chunkLink(c)}
                  target="_blank"
                  rel="noreferrer"
                  title={c.text}
                >
                  [{c.index}] {c.filename}
                  {c.location ? `, ${c.location}` : ""}
                </a>
              ))}
            </span>
          )}
        </p>
      ))}
    </div>
  );
}

function snippets(model: string, system: string, s: Sampling) {
  const origin = window.location.origin;
  const sys = system ? `{ role: "system", content: ${JSON.stringify(system)} },\n    ` : "";
  const pysys = system ? `{"role": "system", "content": ${JSON.stringify(system)}},\n        ` : "";
  return {
    TypeScript: `// npm install openai
import OpenAI from "openai";

const client = new OpenAI({
  baseURL: "${origin}/v1",
  apiKey: process.env.TAILOR_API_KEY, // a key from "Models, data and keys"
});

const answer = await client.chat.completions.create({
  model: "${model}",
  messages: [
    ${sys}{ role: "user", content: "Hello!" },
  ],
  temperature: ${s.temperature},
  top_p: ${s.top_p},
  max_tokens: ${s.max_tokens},
  // @ts-expect-error Tailor's addition: sample from the k most likely tokens
  top_k: ${s.top_k},
});
console.log(answer.choices[0].message.content);`,
    Python: `# pip install openai
import os
from openai import OpenAI

client = OpenAI(
    base_url="${origin}/v1",
    api_key=os.environ["TAILOR_API_KEY"],  # a key from "Models, data and keys"
)

answer = client.chat.completions.create(
    model="${model}",
    messages=[
        ${pysys}{"role": "user", "content": "Hello!"},
    ],
    temperature=${s.temperature},
    top_p=${s.top_p},
    max_tokens=${s.max_tokens},
    extra_body={"top_k": ${s.top_k}},  # Tailor's addition
)
print(answer.choices[0].message.content)`,
  };
}

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
  const [lang, setLang] = useState<"TypeScript" | "Python">("TypeScript");
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
          const c = JSON.parse(chunk.data) as {
            choices: { delta: { content?: string } }[];
            tailor?: { citations: Citation[]; found: boolean };
          };
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

  const code = tuned ? snippets(tuned.id, system, sampling)[lang] : "";
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
                <div className="field docs-toggle">
                  <label>
                    <input
                      type="checkbox"
                      checked={useDocs}
                      onChange={(e) => setUseDocs(e.target.checked)}
                    />{" "}
                    Use my documents
                  </label>
                  {useDocs && (
                    <select
                      aria-label="Knowledge base"
                      value={storeId ?? ""}
                      onChange={(e) => setStoreId(e.target.value)}
                    >
                      {stores.map((s) => (
                        <option key={s.id} value={s.id}>
                          {s.name}
                        </option>
                      ))}
                    </select>
                  )}
                  <Hint>
                    The model looks up passages in your documents before answering, and lists them
                    as sources.
                  </Hint>
                </div>
              )}
              {SLIDERS.map((s) => (
                <div className="field slider" key={s.key}>
                  <label htmlFor={`s-${s.key}`}>
                    {s.label}: <output htmlFor={`s-${s.key}`}>{sampling[s.key]}</output>
                  </label>
                  <input
                    id={`s-${s.key}`}
                    type="range"
                    min={s.min}
                    max={s.max}
                    step={s.step}
                    value={sampling[s.key]}
                    aria-describedby={`s-${s.key}-help`}
                    onChange={(e) => setSampling({ ...sampling, [s.key]: Number(e.target.value) })}
                  />
                  <Hint id={`s-${s.key}-help`}>{s.help}</Hint>
                </div>
              ))}
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
          <h2>Use it from your own code</h2>
          <p>
            Tailor speaks the same language as OpenAI's API, so the official <code>openai</code>{" "}
            library works: point it at this server and use a Tailor API key.
          </p>
          <div className="tabs" role="tablist" aria-label="Language">
            {(["TypeScript", "Python"] as const).map((l) => (
              <button
                key={l}
                type="button"
                role="tab"
                aria-selected={lang === l}
                className={lang === l ? "tab active" : "tab"}
                onClick={() => setLang(l)}
              >
                {l}
              </button>
            ))}
          </div>
          <pre className="code" role="tabpanel" data-testid="snippet">
            {code}
          </pre>
          <button
            type="button"
            className="secondary"
            onClick={() => void navigator.clipboard?.writeText(code)}
          >
            Copy the code
          </button>
        </>
      )}
    </section>
  );
}
