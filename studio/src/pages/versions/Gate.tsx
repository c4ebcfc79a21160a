/**
 * The gate's decision on a retrained version, in words: promoted or not and why, and behind a click
 * each set it was checked on (the original held-out examples, the accepted corrections held out,
 * the regression set) with both versions' scores.
 */
import { plural } from "../../ui.tsx";
import type { GateDecision, GateSet } from "./client.ts";

/** A score as the metric gives it, to three decimals at most. */
const score = (x: number) => String(Number(x.toFixed(3)));

function change(s: GateSet): string {
  const parts = [s.better > 0 && `${s.better} better`, s.worse > 0 && `${s.worse} worse`].filter(
    Boolean,
  );
  return parts.length ? parts.join(", ") : "no change";
}

/** One line: "Promoted: …" or "Kept out: …". */
export function gateWords(g: GateDecision): string {
  return `${g.promote ? "Promoted" : "Not promoted"}: ${g.reason}`;
}

export function Gate({ gate }: { gate: GateDecision }) {
  return (
    <div className={`versions-gate ${gate.promote ? "good" : "bad"}`} data-testid="gate">
      <p>{gateWords(gate)}</p>
      {gate.sets.length > 0 && (
        <details>
          <summary>
            Compared with version {gate.current.version} on {plural(gate.sets.length, "set")}
          </summary>
          <div className="table-scroll">
            <table className="versions-table">
              <thead>
                <tr>
                  <th scope="col">Checked on</th>
                  <th scope="col">Examples</th>
                  <th scope="col">In use</th>
                  <th scope="col">New</th>
                  <th scope="col">Change</th>
                </tr>
              </thead>
              <tbody>
                {gate.sets.map((s) => (
                  <tr key={s.name}>
                    <td>{s.name}</td>
                    <td>{s.examples}</td>
                    <td>
                      {score(s.current)} <span className="muted">{s.metric}</span>
                    </td>
                    <td>{score(s.candidate)}</td>
                    <td>{change(s)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
    </div>
  );
}
