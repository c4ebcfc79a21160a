import type { VectorStoreFile } from "../../api.ts";
import { plural } from "../../ui.tsx";

/** An error about a file without the file's name in front (it is shown beside it). */
export const reason = (name: string, message: string) =>
  message.startsWith(`${name}: `) ? message.slice(name.length + 2) : message;

/** The documents of a knowledge base: how far each was read, its passages, taking it out. */
export function Documents({
  files,
  onOpen,
  onRemove,
}: {
  files: VectorStoreFile[];
  onOpen: (file: VectorStoreFile) => void;
  onRemove: (file: VectorStoreFile) => void;
}) {
  if (files.length === 0) return <p className="muted">No documents yet.</p>;
  return (
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
              <button type="button" className="link" onClick={() => onOpen(f)}>
                Passages
              </button>
            )}
            <button type="button" className="link" onClick={() => onRemove(f)}>
              Remove
            </button>
          </span>
        </li>
      ))}
    </ul>
  );
}
