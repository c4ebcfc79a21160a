import { type FormEvent, useCallback, useEffect, useState } from "react";
import { api, type VectorStore, type VectorStoreFile } from "../api.ts";
import { Empty, ErrorBox, Loading } from "../ui.tsx";
import { Documents } from "./knowledge/Documents.tsx";
import { Passages } from "./knowledge/Passages.tsx";
import { Search } from "./knowledge/Search.tsx";
import { Upload } from "./knowledge/Upload.tsx";
import type { PageProps } from "./types.ts";

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
          {files && (
            <Documents
              files={files}
              onOpen={(f) => setOpen({ file: f.id, chunk: null })}
              onRemove={(f) => void remove(f)}
            />
          )}
          <Search store={store} onOpen={(file, chunk) => setOpen({ file, chunk })} />
          {opened && <Passages store={store.id} file={opened} chunk={open?.chunk ?? null} />}
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
