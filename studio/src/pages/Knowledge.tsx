import { type FormEvent, useCallback, useEffect, useRef, useState } from "react";
import {
  api,
  type FileChunks,
  type SearchResults,
  uploadDocument,
  type VectorStore,
  type VectorStoreFile,
  words,
} from "../api.ts";
import { Empty, ErrorBox, Hint, Loading, plural } from "../ui.tsx";
import type { PageProps } from "./types.ts";

const ACCEPT = ".pdf,.docx,.md,.markdown,.txt,.html,.htm";

interface Sending {
  name: string;
  /** 0–1 while the bytes go up; then indexing. */
  sent: number;
  phase: "uploading" | "indexing" | "done" | "failed";
  message: string | null;
}

/** An error about a file without the file's name in front (it is shown beside it). */
const reason = (name: string, message: string) =>
  message.startsWith(`${name}: `) ? message.slice(name.length + 2) : message;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function Upload({ store, onChange }: { store: VectorStore; onChange: () => void }) {
  const [sending, setSending] = useState<Sending[]>([]);
  const [over, setOver] = useState(false);
  const set = (i: number, patch: Partial<Sending>) =>
    setSending((all) => all.map((s, j) => (j === i ? { ...s, ...patch } : s)));

  const send = async (files: File[]) => {
    const start = sending.length;
    setSending((all) => [
      ...all,
      ...files.map((f) => ({ name: f.name, sent: 0, phase: "uploading" as const, message: null })),
    ]);
    for (const [k, file] of files.entries()) {
      const i = start + k;
      try {
        const up = await uploadDocument(file, (sent) => set(i, { sent }));
        set(i, { sent: 1, phase: "indexing" });
        let f = await api<VectorStoreFile>(`/v1/vector_stores/${store.id}/files`, {
          body: { file_id: up.id },
        });
        onChange();
        while (f.status === "in_progress") {
          await sleep(700);
          f = await api<VectorStoreFile>(`/v1/vector_stores/${store.id}/files/${f.id}`);
        }
        set(
          i,
          f.status === "completed"
            ? { phase: "done", message: `${plural(f.tailor.chunks, "passage")} ready to search` }
            : {
                phase: "failed",
                message: reason(file.name, f.last_error?.message ?? "it could not be read"),
              },
        );
      } catch (e) {
        set(i, { phase: "failed", message: words(e) });
      }
      onChange();
    }
  };

  return (
    <>
      <label
        className={`drop${over ? " over" : ""}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          void send([...e.dataTransfer.files]);
        }}
      >
        <input
          type="file"
          multiple
          accept={ACCEPT}
          aria-describedby="kb-drop-help"
          onChange={(e) => {
            void send([...(e.target.files ?? [])]);
            e.target.value = "";
          }}
        />
        <strong>Drop documents here, or click to choose them</strong>
        <span id="kb-drop-help">
          PDF, Word (.docx), Markdown, web pages (.html) and text files. Tailor reads them, cuts
          them into passages and keeps them on this computer.
        </span>
      </label>
      {sending.length > 0 && (
        <ul className="rows uploads" aria-label="Uploads">
          {sending.map((s, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: uploads are only ever appended
            <li key={`${i}-${s.name}`} className={s.phase === "failed" ? "failed" : undefined}>
              <span>
                <strong>{s.name}</strong>{" "}
                {s.phase === "uploading" && `uploading… ${Math.round(s.sent * 100)}%`}
                {s.phase === "indexing" && "reading and indexing…"}
                {s.phase === "done" && `✓ ${s.message}`}
                {s.phase === "failed" && <span className="error-text">✗ {s.message}</span>}
              </span>
              {(s.phase === "uploading" || s.phase === "indexing") && (
                <progress
                  max={1}
                  value={s.phase === "uploading" ? s.sent : undefined}
                  aria-label={`${s.name}: ${s.phase}`}
                />
              )}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function Chunks({
  store,
  file,
  chunk,
}: {
  store: string;
  file: VectorStoreFile;
  chunk: number | null;
}) {
  const [page, setPage] = useState<FileChunks | null>(null);
  const [error, setError] = useState<unknown>(null);
  const marked = useRef<HTMLLIElement | null>(null);
  useEffect(() => {
    setPage(null);
    api<FileChunks>(`/v1/vector_stores/${store}/files/${file.id}/content?limit=1000`)
      .then(setPage)
      .catch(setError);
  }, [store, file.id]);
  useEffect(() => {
    if (page && marked.current) marked.current.scrollIntoView({ block: "center" });
  }, [page]);
  return (
    <section aria-labelledby="h-chunks" className="chunks">
      <h3 id="h-chunks">Passages of {file.tailor.filename}</h3>
      {error !== null && <ErrorBox error={error} />}
      {!page && error === null && <Loading what="Loading passages…" />}
      {page && (
        <ol className="chunk-list">
          {page.data.map((c) => (
            <li
              key={c.tailor.chunk}
              id={`chunk-${c.tailor.chunk}`}
              ref={c.tailor.chunk === chunk ? marked : undefined}
              className={c.tailor.chunk === chunk ? "cited" : undefined}
            >
              <span className="where">
                #{c.tailor.chunk + 1}
                {c.tailor.location ? ` · ${c.tailor.location}` : ""}
              </span>
              <p>{c.text}</p>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function Search({
  store,
  onOpen,
}: {
  store: VectorStore;
  onOpen: (file: string, chunk: number) => void;
}) {
  const [q, setQ] = useState("");
  const [results, setResults] = useState<SearchResults | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = async (e: FormEvent) => {
    e.preventDefault();
    if (!q.trim()) return;
    setBusy(true);
    setError(null);
    try {
      setResults(
        await api<SearchResults>(`/v1/vector_stores/${store.id}/search`, {
          body: { query: q, max_num_results: 5 },
        }),
      );
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };
  return (
    <section aria-labelledby="h-search">
      <h3 id="h-search">Search</h3>
      <form className="inline-form" onSubmit={(e) => void run(e)}>
        <label htmlFor="kb-q" className="sr-only">
          Question
        </label>
        <input
          id="kb-q"
          type="search"
          value={q}
          placeholder="e.g. How many days of leave do I get?"
          onChange={(e) => setQ(e.target.value)}
        />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Searching…" : "Search"}
        </button>
      </form>
      <Hint>Finds passages by meaning and by their words, the way chat looks them up.</Hint>
      {error !== null && <ErrorBox error={error} />}
      {results?.data.length === 0 && <Empty title="Nothing found" />}
      {results && results.data.length > 0 && (
        <ol className="results" aria-label="Search results">
          {results.data.map((r) => (
            <li key={`${r.file_id}-${r.tailor.chunk}`}>
              <button
                type="button"
                className="link"
                onClick={() => onOpen(r.file_id, r.tailor.chunk)}
              >
                {r.filename}
                {r.tailor.location ? `, ${r.tailor.location}` : ""}
              </button>{" "}
              <span className="badge" title="How well it matches (1 is best)">
                {r.score.toFixed(2)}
              </span>
              <p>{r.content[0]?.text}</p>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

export function Knowledge(_props: PageProps) {
  const query = new URLSearchParams(window.location.search);
  const [stores, setStores] = useState<VectorStore[] | null>(null);
  const [files, setFiles] = useState<VectorStoreFile[] | null>(null);
  const [selected, setSelected] = useState<string | null>(query.get("vs"));
  const [open, setOpen] = useState<{ file: string; chunk: number | null } | null>(
    query.get("file")
      ? { file: query.get("file") as string, chunk: Number(query.get("chunk") ?? -1) }
      : null,
  );
  const [name, setName] = useState("");
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      const r = await api<{ data: VectorStore[] }>("/v1/vector_stores?limit=100");
      setStores(r.data);
      setSelected((s) => s ?? r.data[0]?.id ?? null);
    } catch (e) {
      setError(e);
    }
  }, []);
  const loadFiles = useCallback(async () => {
    if (!selected) return setFiles(null);
    try {
      setFiles(
        (await api<{ data: VectorStoreFile[] }>(`/v1/vector_stores/${selected}/files?limit=100`))
          .data,
      );
      void load();
    } catch (e) {
      setError(e);
    }
  }, [selected, load]);
  useEffect(() => void load(), [load]);
  useEffect(() => void loadFiles(), [loadFiles]);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return;
    try {
      const s = await api<VectorStore>("/v1/vector_stores", { body: { name: name.trim() } });
      setName("");
      setSelected(s.id);
      setOpen(null);
      await load();
    } catch (err) {
      setError(err);
    }
  };
  const remove = async (f: VectorStoreFile) => {
    if (
      !window.confirm(
        `Take ${f.tailor.filename} out of this knowledge base? Chat will no longer find it.`,
      )
    )
      return;
    await api(`/v1/vector_stores/${selected}/files/${f.id}`, { method: "DELETE" }).catch(setError);
    if (open?.file === f.id) setOpen(null);
    void loadFiles();
  };
  const removeStore = async (s: VectorStore) => {
    if (!window.confirm(`Delete the knowledge base ${s.name}? Your uploaded files stay.`)) return;
    await api(`/v1/vector_stores/${s.id}`, { method: "DELETE" }).catch(setError);
    setSelected(null);
    setOpen(null);
    void load();
  };

  const store = stores?.find((s) => s.id === selected) ?? null;
  const opened = files?.find((f) => f.id === open?.file) ?? null;
  return (
    <section aria-labelledby="h-kb" className="knowledge">
      <h1 id="h-kb">Knowledge</h1>
      <p className="lead">
        Give your model your documents (handbooks, FAQs, policies) so that it answers from them and
        says where each answer came from. Training teaches a manner; documents keep facts current.
      </p>
      {error !== null && <ErrorBox error={error} />}
      {!stores && error === null && <Loading what="Loading knowledge bases…" />}
      <form className="inline-form kb-create" onSubmit={(e) => void create(e)}>
        <div className="field">
          <label htmlFor="kb-name">New knowledge base</label>
          <input
            id="kb-name"
            value={name}
            placeholder="e.g. Staff handbook"
            onChange={(e) => setName(e.target.value)}
          />
        </div>
        <button type="submit" className="secondary">
          Create
        </button>
      </form>
      {stores?.length === 0 && (
        <Empty title="No knowledge bases yet">Create one above, then add documents to it.</Empty>
      )}
      {stores && stores.length > 0 && (
        <div className="tabs" role="tablist" aria-label="Knowledge bases">
          {stores.map((s) => (
            <button
              key={s.id}
              type="button"
              role="tab"
              aria-selected={s.id === selected}
              className={s.id === selected ? "tab active" : "tab"}
              onClick={() => {
                setSelected(s.id);
                setOpen(null);
              }}
            >
              {s.name} <span className="muted">({s.file_counts.completed})</span>
            </button>
          ))}
        </div>
      )}
      {store && (
        <div role="tabpanel" aria-label={store.name}>
          <Upload store={store} onChange={() => void loadFiles()} />
          <h3>Documents in {store.name}</h3>
          {files?.length === 0 && <p className="muted">No documents yet.</p>}
          {files && files.length > 0 && (
            <ul className="rows" aria-label="Documents">
              {files.map((f) => (
                <li key={f.id} className={f.status === "failed" ? "failed" : undefined}>
                  <span>
                    <strong>{f.tailor.filename}</strong>{" "}
                    {f.status === "completed" && (
                      <span className="muted">
                        {plural(f.tailor.pages, "page or section", "pages or sections")},{" "}
                        {plural(f.tailor.chunks, "passage")}
                      </span>
                    )}
                    {f.status === "in_progress" && <span className="muted">indexing…</span>}
                    {f.status === "failed" && (
                      <span className="error-text">
                        {reason(f.tailor.filename, f.last_error?.message ?? "")}
                      </span>
                    )}
                  </span>
                  <span className="kb-actions">
                    {f.status === "completed" && (
                      <button
                        type="button"
                        className="link"
                        onClick={() => setOpen({ file: f.id, chunk: null })}
                      >
                        Passages
                      </button>
                    )}
                    <button type="button" className="link" onClick={() => void remove(f)}>
                      Remove
                    </button>
                  </span>
                </li>
              ))}
            </ul>
          )}
          <Search store={store} onOpen={(file, chunk) => setOpen({ file, chunk })} />
          {opened && <Chunks store={store.id} file={opened} chunk={open?.chunk ?? null} />}
          <p>
            <button type="button" className="link" onClick={() => void removeStore(store)}>
              Delete this knowledge base
            </button>
          </p>
        </div>
      )}
    </section>
  );
}
