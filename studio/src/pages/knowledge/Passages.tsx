import { useEffect, useRef, useState } from "react";
import { api, type FileChunks, type VectorStoreFile } from "../../api.ts";
import { ErrorBox, Loading } from "../../ui.tsx";

/** Every passage of one document, the one a citation or a search result pointed at marked. */
export function Passages({
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
