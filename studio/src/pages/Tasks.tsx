import "./playground/classifier.css";

/**
 * What the studio can teach, offered on its first page: answering messages (the numbered steps) or
 * sorting messages into labels (a classifier, on its own page).
 */
export function Tasks({
  current,
  go,
}: {
  current: "answer" | "classify";
  go: (to: string) => void;
}) {
  return (
    <section className="tasks" aria-label="What to teach">
      <div className="task" aria-current={current === "answer"}>
        <strong>Answer messages</strong>
        <p>Examples of messages and the answers you want: a model that writes replies.</p>
        {current !== "answer" && (
          <button type="button" className="secondary" onClick={() => go("/examples")}>
            Teach answers
          </button>
        )}
      </div>
      <div className="task" aria-current={current === "classify"}>
        <strong>Sort messages into labels</strong>
        <p>
          Messages with the label each belongs to (billing, spam, internal…): a classifier that
          routes or filters them, fast.
        </p>
        {current !== "classify" && (
          <button type="button" className="secondary" onClick={() => go("/classify")}>
            Sort messages into labels
          </button>
        )}
      </div>
    </section>
  );
}
