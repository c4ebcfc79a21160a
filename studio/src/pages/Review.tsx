import { useCallback, useEffect, useState } from "react";
import { api, type Model, type Principal } from "../api.ts";
import { Empty, ErrorBox, Loading, plural } from "../ui.tsx";
import { when } from "./assistants/Versions.tsx";
import { getItem, listItems, type ReviewItem, type StatusFilter } from "./review/client.ts";
import { feedbackWords, ItemView, lastQuestion } from "./review/ItemView.tsx";
import "./review/review.css";
import type { PageProps } from "./types.ts";

const STATUS: { id: StatusFilter; label: string }[] = [
  { id: "pending", label: "Waiting for review" },
  { id: "accepted", label: "Accepted" },
  { id: "rejected", label: "Rejected" },
  { id: "all", label: "All" },
];

const STATUS_WORDS: Record<ReviewItem["status"], string> = {
  pending: "waiting",
  accepted: "accepted",
  rejected: "rejected",
};

/** Pending first (oldest first, as they came), then the decided ones, newest decision first. */
const ordered = (items: ReviewItem[]) =>
  [...items].sort((a, b) =>
    a.status === "pending" || b.status === "pending"
      ? Number(b.status === "pending") - Number(a.status === "pending") ||
        a.created_at - b.created_at
      : (b.decided_at ?? 0) - (a.decided_at ?? 0),
  );

/** The filter and the open item live in the address (?status=…&model=…&id=…). */
function remember(status: StatusFilter, model: string, id: string | null) {
  const q = new URLSearchParams();
  if (status !== "pending") q.set("status", status);
  if (model) q.set("model", model);
  if (id) q.set("id", id);
  const s = q.toString();
  window.history.replaceState(null, "", `/review${s ? `?${s}` : ""}`);
}

/** The model names and models whose answers may be reviewed, for the filter. */
async function modelChoices(): Promise<string[]> {
  const [names, models] = await Promise.all([
    api<{ data: { name: string }[] }>("/v1/model_names")
      .then((r) => r.data.map((n) => n.name))
      .catch(() => [] as string[]),
    api<{ data: Model[] }>("/v1/models")
      .then((r) =>
        r.data
          .filter((m) => m.tailor.kind !== "embedding" && m.tailor.kind !== "moderation")
          .map((m) => m.id),
      )
      .catch(() => [] as string[]),
  ]);
  return [...new Set([...names, ...models])];
}

/**
 * Review: answers people rated or corrected wait here for a person. Accepted ones (as proposed or
 * edited) become training examples for the next retrain; nothing else does.
 */
export function Review({ me }: PageProps & { me: Principal }) {
  const query = new URLSearchParams(window.location.search);
  const [status, setStatus] = useState<StatusFilter>(
    STATUS.find((s) => s.id === query.get("status"))?.id ?? "pending",
  );
  const [model, setModel] = useState(query.get("model") ?? "");
  const [models, setModels] = useState<string[]>([]);
  const [list, setList] = useState<ReviewItem[] | null>(null);
  const [more, setMore] = useState(false);
  const [open, setOpen] = useState<ReviewItem | null>(null);
  const [wanted] = useState(query.get("id"));
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState("");

  const load = useCallback(async () => {
    try {
      const r = await listItems(status, model || null);
      setList(ordered(r.data));
      setMore(r.more);
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, [status, model]);
  useEffect(() => void load(), [load]);
  useEffect(() => void modelChoices().then(setModels), []);
  useEffect(() => {
    if (wanted) getItem(wanted).then(setOpen).catch(setError);
  }, [wanted]);
  useEffect(() => remember(status, model, open?.id ?? null), [status, model, open]);

  const changed = (item: ReviewItem, said: string) => {
    setOpen(item);
    setNote(said);
    void load();
  };
  const pending = list?.filter((i) => i.status === "pending").length ?? 0;

  return (
    <div className="review">
      <h1>Review</h1>
      <p className="lead">
        Answers that people rated or corrected wait here. Nothing becomes a training example until
        someone accepts it: as proposed, or with your own answer. Accepted answers go into the next
        retrain (on the Versions &amp; health page).
      </p>
      <div className="inline-form review-filters">
        <div className="field">
          <label htmlFor="review-status">Show</label>
          <select
            id="review-status"
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as StatusFilter);
              setList(null);
            }}
          >
            {STATUS.map((s) => (
              <option key={s.id} value={s.id}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="review-model">Model</label>
          <select
            id="review-model"
            value={model}
            onChange={(e) => {
              setModel(e.target.value);
              setList(null);
            }}
          >
            <option value="">All models</option>
            {[...new Set([...models, ...(model ? [model] : [])])].map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </div>
        <button type="button" className="secondary" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      <p role="status" className="review-note" data-testid="review-note">
        {note}
      </p>
      {error !== null && <ErrorBox error={error} retry={() => void load()} />}
      {!list && error === null && <Loading what="Loading the review queue…" />}
      {list?.length === 0 && (
        <Empty title={status === "pending" ? "Nothing waits for review" : "No items here"}>
          Answers show here once someone rates one down, marks it wrong or corrects it (in the
          playground, on an assistant's page, or through the API's feedback route).
        </Empty>
      )}
      {list && list.length > 0 && (
        <>
          {status !== "accepted" && status !== "rejected" && (
            <p className="hint">{plural(pending, "answer")} waiting for review.</p>
          )}
          <ul className="rows review-list" data-testid="review-list">
            {list.map((i) => (
              <li key={i.id} className={open?.id === i.id ? "current" : undefined}>
                <span>
                  <button
                    type="button"
                    className="link review-title"
                    aria-label={`Review “${lastQuestion(i)}”`}
                    onClick={() => {
                      setNote("");
                      setOpen(i);
                    }}
                  >
                    {lastQuestion(i)}
                  </button>
                  <span className="hint">
                    {i.model} · {when(i.created_at)} ·{" "}
                    {feedbackWords(i.feedback).join(", ") || "no rating"}
                    {i.pii.length > 0 ? " · personal data found" : ""}
                  </span>
                </span>
                <span className={`review-status s-${i.status}`}>
                  {STATUS_WORDS[i.status]}
                  {i.reviewer && i.status !== "pending" ? ` by ${i.reviewer}` : ""}
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
      {more && <p className="hint">Only the first 100 are listed.</p>}
      {open && (
        <ItemView
          key={`${open.id}-${open.status}-${open.redacted}`}
          item={open}
          me={me}
          onChange={changed}
          onClose={() => {
            setOpen(null);
            setNote("");
          }}
        />
      )}
    </div>
  );
}
