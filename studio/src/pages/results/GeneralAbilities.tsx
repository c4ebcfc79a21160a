import type { ForgettingCheck } from "../../../../protocol/forgetting.ts";

/**
 * The general questions on the Results page: what tuning kept, lost and gained of the base's general
 * answers (arithmetic, facts, formats, refusals), with the lost ones listed beside the base's answer.
 */
export function GeneralAbilities({ check }: { check: ForgettingCheck }) {
  const lost = check.results.filter((r) => r.base_correct && !r.model_correct);
  const gained = check.results.filter((r) => !r.base_correct && r.model_correct);
  if (check.skipped)
    return (
      <div data-testid="forgetting">
        <h2>General abilities</h2>
        <p className="hint">{check.summary}</p>
      </div>
    );
  return (
    <div data-testid="forgetting">
      <h2>General abilities</h2>
      <p className={`verdict ${check.concern ? "bad" : check.lost === 0 ? "good" : ""}`}>
        {check.summary}
      </p>
      <p className="hint">
        {check.items} short general questions that ship with Tailor, answered by both models and
        checked by rules: the base got <strong>{check.base_correct}</strong> right, the tuned model{" "}
        <strong>{check.model_correct}</strong>. Lost <strong>{check.lost}</strong>, gained{" "}
        <strong>{check.gained}</strong>.
      </p>
      {lost.length + gained.length > 0 && (
        <div className="table-scroll">
          <table className="examples">
            <thead>
              <tr>
                <th scope="col">Question</th>
                <th scope="col">A right answer</th>
                <th scope="col">Base model</th>
                <th scope="col">Tuned model</th>
                <th scope="col">Result</th>
              </tr>
            </thead>
            <tbody>
              {[...lost, ...gained].map((r) => (
                <tr key={r.id}>
                  <td>{r.prompt}</td>
                  <td>{r.expected}</td>
                  <td>{r.base_output}</td>
                  <td>{r.model_output}</td>
                  <td className={`outcome ${r.model_correct ? "win" : "loss"}`}>
                    {r.model_correct ? "gained" : "lost"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
