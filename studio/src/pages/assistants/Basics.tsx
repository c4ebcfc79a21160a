/** The editor's first part: the assistant's name, the model that answers, how it should answer, and how it picks its words. */
import type { Model } from "../../api.ts";
import { GLOSSARY } from "../../ui.tsx";
import type { Draft } from "./draft.ts";
import { Field } from "./fields.tsx";

export interface SectionProps {
  draft: Draft;
  set: (patch: Partial<Draft>) => void;
  errorFor: (field: string) => string | null;
}

const SAMPLING: {
  key: "temperature" | "top_p" | "top_k" | "max_tokens";
  field: string;
  label: string;
  min: number;
  max: number;
  step: number | "any";
  help: string;
}[] = [
  {
    key: "temperature",
    field: "sampling.temperature",
    label: "Temperature",
    min: 0,
    max: 2,
    step: "any",
    help: `${GLOSSARY.temperature} For facts, keep it low (0.2).`,
  },
  {
    key: "top_p",
    field: "sampling.top_p",
    label: "Top-p",
    min: 0.01,
    max: 1,
    step: "any",
    help: GLOSSARY.top_p,
  },
  {
    key: "top_k",
    field: "sampling.top_k",
    label: "Top-k",
    min: 0,
    max: 1000,
    step: 1,
    help: GLOSSARY.top_k,
  },
  {
    key: "max_tokens",
    field: "sampling.max_tokens",
    label: "Longest answer (tokens)",
    min: 1,
    max: 8192,
    step: 1,
    help: `${GLOSSARY.max_tokens} An answer that reaches it stops there.`,
  },
];

export function Basics({
  draft,
  set,
  errorFor,
  models,
}: SectionProps & { models: Model[] | null }) {
  const tuned = (models ?? []).filter((m) => m.tailor.kind === "fine_tuned");
  const bases = (models ?? []).filter((m) => m.tailor.kind !== "fine_tuned");
  const known = (models ?? []).some((m) => m.id === draft.model);
  return (
    <section aria-labelledby="h-asst-about">
      <h3 id="h-asst-about">The assistant</h3>
      <Field
        id="asst-name"
        label="Name"
        hint="Visitors see it at the top of the page."
        error={errorFor("name")}
      >
        {(c) => (
          <input
            {...c}
            value={draft.name}
            maxLength={128}
            placeholder="e.g. Biology 101 tutor"
            onChange={(e) => set({ name: e.target.value })}
          />
        )}
      </Field>
      <Field
        id="asst-model"
        label="Model"
        hint="The model that writes the answers: one you tuned on your examples, or a base model."
        error={errorFor("model")}
      >
        {(c) => (
          <select {...c} value={draft.model} onChange={(e) => set({ model: e.target.value })}>
            {!models && <option value={draft.model}>Loading models…</option>}
            {models && !known && (
              <option value={draft.model}>
                {draft.model ? `${draft.model} (not found)` : "Pick a model"}
              </option>
            )}
            {tuned.length > 0 && (
              <optgroup label="Tuned on your examples">
                {tuned.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.id}
                  </option>
                ))}
              </optgroup>
            )}
            {bases.length > 0 && (
              <optgroup label="Base models">
                {bases.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.id}
                  </option>
                ))}
              </optgroup>
            )}
          </select>
        )}
      </Field>
      <Field
        id="asst-instructions"
        label="How should it answer?"
        hint="Instructions the model reads before every conversation: who it helps, its tone, what it must not do."
        error={errorFor("instructions")}
        className="wide"
      >
        {(c) => (
          <textarea
            {...c}
            rows={5}
            maxLength={32000}
            value={draft.instructions}
            placeholder="You help students of Biology 101. Answer in two or three sentences, from the course notes; if they do not say, say so."
            onChange={(e) => set({ instructions: e.target.value })}
          />
        )}
      </Field>
      <h4 className="assistants-sub">How it picks its words</h4>
      <div className="assistants-grid">
        {SAMPLING.map((s) => (
          <Field
            key={s.key}
            id={`asst-${s.key}`}
            label={s.label}
            hint={s.help}
            error={errorFor(s.field)}
          >
            {(c) => (
              <input
                {...c}
                type="number"
                min={s.min}
                max={s.max}
                step={s.step}
                value={draft[s.key]}
                onChange={(e) => set({ [s.key]: e.target.value })}
              />
            )}
          </Field>
        ))}
      </div>
    </section>
  );
}
