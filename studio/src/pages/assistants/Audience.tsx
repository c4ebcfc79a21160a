/**
 * The editor's other parts: the knowledge bases it answers from, the moderation policy it is held
 * to, what visitors see first (a greeting, suggested questions), and how long conversations are kept.
 */
import type { VectorStore } from "../../api.ts";
import type { Policy } from "../moderation/client.ts";
import type { SectionProps } from "./Basics.tsx";
import { MAX_QUESTIONS } from "./draft.ts";
import { Field, FieldError } from "./fields.tsx";

export function KnowledgeAndSafety({
  draft,
  set,
  errorFor,
  stores,
  policies,
}: SectionProps & { stores: VectorStore[] | null; policies: Policy[] | null }) {
  const toggle = (id: string, on: boolean) =>
    set({
      vector_store_ids: on
        ? [...draft.vector_store_ids, id]
        : draft.vector_store_ids.filter((x) => x !== id),
    });
  const missing = draft.vector_store_ids.filter((id) => !stores?.some((s) => s.id === id));
  const kbError = errorFor("knowledge.vector_store_ids");
  return (
    <section aria-labelledby="h-asst-knowledge">
      <h3 id="h-asst-knowledge">Knowledge to answer from</h3>
      <fieldset className="assistants-choices" aria-describedby="asst-kb-help asst-kb-error">
        <legend className="sr-only">Knowledge bases</legend>
        {stores?.length === 0 && (
          <p className="hint">
            No knowledge bases yet: make one on the <a href="/knowledge">Knowledge</a> page and add
            your documents to it.
          </p>
        )}
        {stores?.map((s) => (
          <label key={s.id} className="assistants-check">
            <input
              type="checkbox"
              checked={draft.vector_store_ids.includes(s.id)}
              onChange={(e) => toggle(s.id, e.target.checked)}
            />{" "}
            {s.name} <span className="muted">({s.file_counts.completed} documents)</span>
          </label>
        ))}
        {missing.map((id) => (
          <label key={id} className="assistants-check">
            <input type="checkbox" checked onChange={() => toggle(id, false)} /> {id}{" "}
            <span className="muted">(not found: untick it)</span>
          </label>
        ))}
        <p className="hint" id="asst-kb-help">
          The assistant answers from the passages it finds in them and shows them under its answer.
        </p>
        <FieldError id="asst-kb-error" error={kbError} />
      </fieldset>
      {draft.vector_store_ids.length > 0 && (
        <Field
          id="asst-passages"
          label="Passages per answer"
          hint="How many passages it reads before answering (more: slower, sometimes better)."
          error={errorFor("knowledge.max_passages")}
        >
          {(c) => (
            <input
              {...c}
              type="number"
              min={1}
              max={20}
              value={draft.max_passages}
              onChange={(e) => set({ max_passages: e.target.value })}
            />
          )}
        </Field>
      )}
      <Field
        id="asst-policy"
        label="Moderation policy"
        hint={
          <>
            Every question and answer is checked under it (policies are made on the{" "}
            <a href="/moderation">Moderation</a> page).
          </>
        }
        error={errorFor("moderation_policy")}
      >
        {(c) => (
          <select
            {...c}
            value={draft.moderation_policy}
            onChange={(e) => set({ moderation_policy: e.target.value })}
          >
            <option value="">None</option>
            {draft.moderation_policy &&
              !policies?.some(
                (p) => p.id === draft.moderation_policy || p.name === draft.moderation_policy,
              ) && <option value={draft.moderation_policy}>{draft.moderation_policy}</option>}
            {policies?.map((p) => (
              <option key={p.id} value={p.name === draft.moderation_policy ? p.name : p.id}>
                {p.name}
                {p.mode === "flag_only" ? " (only flags)" : ""}
              </option>
            ))}
          </select>
        )}
      </Field>
    </section>
  );
}

export function FirstWords({ draft, set, errorFor }: SectionProps) {
  const setQuestion = (i: number, q: string) =>
    set({ suggested_questions: draft.suggested_questions.map((x, k) => (k === i ? q : x)) });
  return (
    <section aria-labelledby="h-asst-first">
      <h3 id="h-asst-first">What visitors see first</h3>
      <Field
        id="asst-greeting"
        label="Greeting"
        hint="The assistant's first message on its page."
        error={errorFor("greeting")}
        className="wide"
      >
        {(c) => (
          <textarea
            {...c}
            rows={2}
            maxLength={2000}
            value={draft.greeting}
            placeholder="Hi! Ask me anything about the course."
            onChange={(e) => set({ greeting: e.target.value })}
          />
        )}
      </Field>
      <h4 className="assistants-sub">Suggested first questions</h4>
      <p className="hint" id="asst-questions-help">
        Up to {MAX_QUESTIONS}, shown as buttons a visitor can press.
      </p>
      <ol className="assistants-questions">
        {draft.suggested_questions.map((q, i) => (
          // the list is edited in place: its place is its identity
          // biome-ignore lint/suspicious/noArrayIndexKey: questions have no id, and may repeat while typed
          <li key={i}>
            <label className="sr-only" htmlFor={`asst-q-${i}`}>
              Suggested question {i + 1}
            </label>
            <input
              id={`asst-q-${i}`}
              value={q}
              maxLength={300}
              aria-invalid={errorFor(`suggested_questions.${i}`) ? true : undefined}
              aria-describedby={`asst-q-${i}-error`}
              onChange={(e) => setQuestion(i, e.target.value)}
            />
            <button
              type="button"
              className="link"
              aria-label={`Remove suggested question ${i + 1}`}
              onClick={() =>
                set({ suggested_questions: draft.suggested_questions.filter((_, k) => k !== i) })
              }
            >
              Remove
            </button>
            <FieldError id={`asst-q-${i}-error`} error={errorFor(`suggested_questions.${i}`)} />
          </li>
        ))}
      </ol>
      <FieldError id="asst-questions-error" error={errorFor("suggested_questions")} />
      <button
        type="button"
        className="secondary"
        disabled={draft.suggested_questions.length >= MAX_QUESTIONS}
        aria-describedby="asst-questions-help"
        onClick={() => set({ suggested_questions: [...draft.suggested_questions, ""] })}
      >
        Add a question
      </button>
      <h3>Keeping conversations</h3>
      <Field
        id="asst-retention"
        label="Keep conversations for (days)"
        hint="You can read them on the Conversations tab; each is deleted this many days after its last message."
        error={errorFor("retention_days")}
      >
        {(c) => (
          <input
            {...c}
            type="number"
            min={1}
            max={3650}
            value={draft.retention_days}
            onChange={(e) => set({ retention_days: e.target.value })}
          />
        )}
      </Field>
    </section>
  );
}
