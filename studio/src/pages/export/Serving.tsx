/** Which engine answers a chat model, and why, in one line (the API's `tailor.serving`). */
import type { Model } from "../../api.ts";

const ENGINE = { "llama.cpp": "llama.cpp", pytorch: "PyTorch" } as const;

export function Serving({ model }: { model: Model }) {
  const s = model.tailor.serving;
  if (!s) return null;
  const reason = s.reason.trim().replace(/\.$/, "");
  return (
    <span className="hint serving" data-testid="serving">
      Answered by <strong>{ENGINE[s.engine]}</strong>
      {reason ? ` (${reason})` : ""}
    </span>
  );
}
