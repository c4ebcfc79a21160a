/** A decided review item: who accepted or rejected it, when, the note, and what became the example. */
import { when } from "../assistants/Versions.tsx";
import type { ReviewItem } from "./client.ts";

/** Who decided, when, and what became the example (or why it was not). */
export function Decision({ item }: { item: ReviewItem }) {
  return (
    <section className="review-decision" aria-labelledby="h-review-decision" data-testid="decision">
      <h4 id="h-review-decision">{item.status === "accepted" ? "Accepted" : "Rejected"}</h4>
      <p>
        {item.status === "accepted" ? "Accepted" : "Rejected"} by{" "}
        <strong className="mono">{item.reviewer ?? "someone"}</strong>
        {item.decided_at !== null && <> on {when(item.decided_at)}</>}.
        {item.note && <> Note: “{item.note}”</>}
      </p>
      {item.status === "accepted" && item.final_answer !== null && (
        <>
          <p className="hint">The training example's answer:</p>
          <p className="turn review-final" data-testid="final-answer">
            {item.final_answer}
          </p>
          <p className="hint">
            {item.used_in
              ? `Used in the dataset version ${item.used_in}.`
              : "Not used yet: the next retrain of this model takes it."}
          </p>
        </>
      )}
    </section>
  );
}
