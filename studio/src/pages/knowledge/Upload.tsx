import { useState } from "react";
import { api, uploadDocument, type VectorStore, type VectorStoreFile, words } from "../../api.ts";
import { DropZone } from "../../drop-zone.tsx";
import { plural } from "../../ui.tsx";
import { reason } from "./Documents.tsx";

const ACCEPT = ".pdf,.docx,.md,.markdown,.txt,.html,.htm";

interface Sending {
  name: string;
  /** 0–1 while the bytes go up; then indexing. */
  sent: number;
  phase: "uploading" | "indexing" | "done" | "failed";
  message: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Documents dropped or chosen go up one by one, each with its progress, and are indexed. */
export function Upload({ store, onChange }: { store: VectorStore; onChange: () => void }) {
  const [sending, setSending] = useState<Sending[]>([]);
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
      <DropZone
        accept={ACCEPT}
        multiple
        title="Drop documents here, or click to choose them"
        helpId="kb-drop-help"
        help="PDF, Word (.docx), Markdown, web pages (.html) and text files. Tailor reads them, cuts them into passages and keeps them on this computer."
        onFiles={(files) => void send(files)}
      />
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
