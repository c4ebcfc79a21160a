/**
 * The editor's functions: the list (each a card), the hosts web services may reach, how many calls
 * one answer may make, and whether the model must call one.
 */
import type { SectionProps } from "./Basics.tsx";
import { type FunctionDraft, newFunction } from "./draft.ts";
import { FunctionCard } from "./FunctionCard.tsx";
import { Field } from "./fields.tsx";

export function Functions({ draft, set, errorFor }: SectionProps) {
  const setFunction = (i: number, fn: FunctionDraft) =>
    set({ functions: draft.functions.map((f, k) => (k === i ? fn : f)) });
  const remove = (i: number) => {
    const gone = draft.functions[i]?.name;
    set({
      functions: draft.functions.filter((_, k) => k !== i),
      // a function that is gone cannot be the one to call
      tool_choice: draft.tool_choice === `call:${gone}` ? "auto" : draft.tool_choice,
    });
  };
  const http = draft.functions.some((f) => f.kind === "http");
  const full = draft.functions.length >= 32;
  return (
    <section aria-labelledby="h-asst-functions">
      <h3 id="h-asst-functions">Functions</h3>
      <p className="hint">
        Let the assistant look things up or do things: check an order, book a slot, read today's
        menu. The model decides when to call one, with arguments that follow its schema.
      </p>
      {draft.functions.map((f, i) => (
        <FunctionCard
          key={f.key}
          fn={f}
          n={i}
          errorFor={errorFor}
          onChange={(fn) => setFunction(i, fn)}
          onRemove={() => remove(i)}
        />
      ))}
      <div className="assistants-buttons">
        <button
          type="button"
          className="secondary"
          disabled={full}
          onClick={() => set({ functions: [...draft.functions, newFunction("http")] })}
        >
          Add a web service Tailor calls
        </button>
        <button
          type="button"
          className="secondary"
          disabled={full}
          onClick={() => set({ functions: [...draft.functions, newFunction("client")] })}
        >
          Add a function your app runs
        </button>
      </div>
      {draft.functions.length > 0 && (
        <div className="assistants-grid roomy">
          <Field id="asst-tool-choice" label="Calling a function" error={errorFor("tool_choice")}>
            {(c) => (
              <select
                {...c}
                value={draft.tool_choice}
                onChange={(e) => set({ tool_choice: e.target.value })}
              >
                <option value="auto">The model decides</option>
                <option value="required">It must call one before answering</option>
                <option value="none">Never (functions off)</option>
                {draft.functions
                  .filter((f) => f.name)
                  .map((f) => (
                    <option key={f.key} value={`call:${f.name}`}>
                      Always call {f.name} first
                    </option>
                  ))}
              </select>
            )}
          </Field>
          <Field
            id="asst-max-calls"
            label="Calls per answer"
            hint="Web service calls one answer may make at most; then the model must answer."
            error={errorFor("max_function_calls")}
          >
            {(c) => (
              <input
                {...c}
                type="number"
                min={0}
                max={10}
                value={draft.max_function_calls}
                onChange={(e) => set({ max_function_calls: e.target.value })}
              />
            )}
          </Field>
        </div>
      )}
      {http && (
        <Field
          id="asst-hosts"
          label="Hosts the web services may reach"
          hint="One a line (api.example.com, or *.example.com for all its subdomains). Empty: only the hosts of the addresses above. Addresses inside your network are refused unless the admin allows them."
          error={errorFor("allowed_hosts")}
          className="wide"
        >
          {(c) => (
            <textarea
              {...c}
              rows={2}
              spellCheck={false}
              className="mono"
              value={draft.allowed_hosts}
              onChange={(e) => set({ allowed_hosts: e.target.value })}
            />
          )}
        </Field>
      )}
    </section>
  );
}
