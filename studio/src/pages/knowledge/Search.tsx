import { type FormEvent, useState } from "react";
import { api, type SearchResults, type VectorStore } from "../../api.ts";
import { Empty, ErrorBox, Hint } from "../../ui.tsx";

/** Asks a knowledge base a question the way chat does, and opens a result's passage. */
export function Search({
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
