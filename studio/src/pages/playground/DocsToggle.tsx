import type { VectorStore } from "../../api.ts";
import { Hint } from "../../ui.tsx";

/** "Use my documents": answers from a knowledge base, with sources. */
export function DocsToggle({
  stores,
  on,
  onToggle,
  storeId,
  onStore,
}: {
  stores: VectorStore[];
  on: boolean;
  onToggle: (on: boolean) => void;
  storeId: string | null;
  onStore: (id: string) => void;
}) {
  return (
    <div className="field docs-toggle">
      <label>
        <input type="checkbox" checked={on} onChange={(e) => onToggle(e.target.checked)} /> Use my
        documents
      </label>
      {on && (
        <select
          aria-label="Knowledge base"
          value={storeId ?? ""}
          onChange={(e) => onStore(e.target.value)}
        >
          {stores.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
      )}
      <Hint>
        The model looks up passages in your documents before answering, and lists them as sources.
      </Hint>
    </div>
  );
}
