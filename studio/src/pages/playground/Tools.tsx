import { Hint } from "../../ui.tsx";
import { checkTools, type Format, type ToolsState } from "./tools.ts";

const EXAMPLE = `[
  {
    "type": "function",
    "function": {
      "name": "get_order_status",
      "description": "Where a customer's order is.",
      "parameters": {
        "type": "object",
        "properties": { "order_id": { "type": "string" } },
        "required": ["order_id"]
      }
    }
  }
]`;

/** Functions the model may call, whether it must, and the shape of its answers. */
export function ToolsPanel({
  state,
  onChange,
  trained,
}: {
  state: ToolsState;
  onChange: (state: ToolsState) => void;
  /** The model was trained with these tools (they were filled in for you). */
  trained: boolean;
}) {
  const { names, error } = checkTools(state.tools);
  const set = (patch: Partial<ToolsState>) => onChange({ ...state, ...patch });
  return (
    <fieldset className="tools-panel">
      <legend>Functions and output</legend>
      <div className="field">
        <label htmlFor="tools">Tools (JSON)</label>
        <textarea
          id="tools"
          rows={6}
          spellCheck={false}
          className="mono"
          value={state.tools}
          aria-describedby="tools-help"
          aria-invalid={error !== null}
          placeholder={EXAMPLE}
          onChange={(e) => {
            const names = checkTools(e.target.value).names;
            set({
              tools: e.target.value,
              // a function that is gone cannot be the one to call
              choice: ["auto", "none", "required", ...names].includes(state.choice)
                ? state.choice
                : "auto",
            });
          }}
        />
        {error ? (
          <p className="field-error" role="alert">
            {error}
          </p>
        ) : (
          <Hint id="tools-help">
            {trained
              ? "The functions your model was trained with. "
              : "Functions the model may call, as OpenAI's tools array. "}
            When it calls one, you type the result and it goes on.
          </Hint>
        )}
      </div>
      {names.length > 0 && (
        <div className="field">
          <label htmlFor="tool-choice">Tool choice</label>
          <select
            id="tool-choice"
            value={state.choice}
            onChange={(e) => set({ choice: e.target.value })}
          >
            <option value="auto">auto: the model decides</option>
            <option value="required">required: it must call one</option>
            <option value="none">none: words only</option>
            {names.map((n) => (
              <option key={n} value={n}>
                {n}: it must call this one
              </option>
            ))}
          </select>
        </div>
      )}
      <div className="field">
        <label htmlFor="response-format">Answer format</label>
        <select
          id="response-format"
          value={state.format}
          onChange={(e) => set({ format: e.target.value as Format })}
        >
          <option value="text">Text</option>
          <option value="json_object">JSON: any object</option>
          <option value="json_schema">JSON that follows a schema</option>
        </select>
        <Hint>JSON answers are decoded under a constraint: they always parse.</Hint>
      </div>
      {state.format === "json_schema" && (
        <div className="field">
          <label htmlFor="schema">JSON schema</label>
          <textarea
            id="schema"
            rows={5}
            spellCheck={false}
            className="mono"
            value={state.schema}
            placeholder='{"type": "object", "properties": {"intent": {"type": "string"}}, "required": ["intent"]}'
            onChange={(e) => set({ schema: e.target.value })}
          />
        </div>
      )}
    </fieldset>
  );
}
