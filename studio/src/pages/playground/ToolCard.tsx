import { useState } from "react";
import { type Call, pretty } from "./tools.ts";

/**
 * A function the model called: its name and arguments; while it waits for a result, a box to type
 * what the function returned and a button that sends it and lets the model go on.
 */
export function ToolCard({
  call,
  model,
  onResult,
}: {
  call: Call;
  /** The side of the comparison it is on (names its controls apart from the other side's). */
  model: string;
  /** Absent once the call has its result, or while an answer is being written. */
  onResult?: ((result: string) => void) | undefined;
}) {
  const [result, setResult] = useState("");
  const id = `result-${model}-${call.id}`.replace(/[^\w-]/g, "_");
  return (
    <div className="tool-card" data-testid="tool-card">
      <div className="tool-card-head">
        <span className="muted">calls</span> <strong className="mono">{call.name || "…"}</strong>
      </div>
      <pre className="tool-args" data-testid="tool-arguments">
        {pretty(call.arguments) || "{}"}
      </pre>
      {onResult && (
        <form
          className="tool-result"
          onSubmit={(e) => {
            e.preventDefault();
            onResult(result);
          }}
        >
          <label htmlFor={id}>Result of {call.name}</label>
          <textarea
            id={id}
            rows={2}
            className="mono"
            value={result}
            placeholder='e.g. {"status": "shipped"}'
            onChange={(e) => setResult(e.target.value)}
          />
          <button type="submit" className="secondary">
            Send result
          </button>
        </form>
      )}
    </div>
  );
}
