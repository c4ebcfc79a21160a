/**
 * How a model name does in use: the summary in words (this week against the week before, and
 * plainly when it looks out of date), the days as charts, and the numbers as a table.
 */
import { useCallback, useEffect, useState } from "react";
import { ErrorBox, Loading, plural } from "../../ui.tsx";
import { type HealthReport, health } from "./client.ts";
import { dayLabel, HealthCharts, unfamiliarShare } from "./HealthCharts.tsx";

const SPANS = [7, 28, 90] as const;

const used = (d: HealthReport["days"][number]) =>
  d.requests + d.thumbs_up + d.thumbs_down + d.wrong + d.flags + d.drift_checked > 0;

export function Health({ name }: { name: string }) {
  const [days, setDays] = useState<number>(28);
  const [report, setReport] = useState<HealthReport | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      setReport(await health(name, days));
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, [name, days]);
  useEffect(() => void load(), [load]);

  const active = report?.days.filter(used) ?? [];
  return (
    <section aria-labelledby="h-health">
      <h3 id="h-health">Health</h3>
      <div className="inline-form">
        <div className="field">
          <label htmlFor="health-days">Over the last</label>
          <select
            id="health-days"
            value={days}
            onChange={(e) => {
              setDays(Number(e.target.value));
              setReport(null);
            }}
          >
            {SPANS.map((d) => (
              <option key={d} value={d}>
                {d} days
              </option>
            ))}
          </select>
        </div>
        <button type="button" className="secondary" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      {error !== null && <ErrorBox error={error} retry={() => void load()} />}
      {!report && error === null && <Loading what="Loading how it does…" />}
      {report && (
        <>
          <div
            className={`state ${report.out_of_date ? "warn" : "ok"} versions-summary`}
            data-testid="health-summary"
          >
            <p>
              <strong>
                {report.out_of_date
                  ? "This model looks out of date."
                  : "Nothing says this model is out of date."}
              </strong>
            </p>
            {report.summary.map((s) => (
              <p key={s}>{s}</p>
            ))}
            {report.out_of_date && (
              <p>
                Review what people corrected on the Review page, then retrain it on the Retrain tab.
              </p>
            )}
          </div>
          <p className="hint">
            From {dayLabel(report.from)} to {dayLabel(report.to)}
            {report.models.length > 0 && (
              <>
                , answers of <span className="mono">{report.models.join(", ")}</span>
              </>
            )}
            .
            {report.drift_threshold !== null &&
              ` A question counts as unfamiliar when it is farther from every training example than ${
                Math.round(report.drift_threshold * 1000) / 1000
              } (measured on the examples held out from training).`}
          </p>
          <HealthCharts days={report.days} />
          <details className="versions-numbers">
            <summary>The numbers, day by day ({plural(active.length, "day")} with use)</summary>
            <div className="table-scroll">
              <table className="versions-table" data-testid="health-days">
                <thead>
                  <tr>
                    <th scope="col">Day</th>
                    <th scope="col">Questions</th>
                    <th scope="col">Thumbs up</th>
                    <th scope="col">Thumbs down</th>
                    <th scope="col">Wrong</th>
                    <th scope="col">Flags</th>
                    <th scope="col">Unfamiliar</th>
                    <th scope="col">Answer length</th>
                  </tr>
                </thead>
                <tbody>
                  {active.map((d) => {
                    const share = unfamiliarShare(d);
                    return (
                      <tr key={d.day}>
                        <td>{d.day}</td>
                        <td>{d.requests}</td>
                        <td>{d.thumbs_up}</td>
                        <td>{d.thumbs_down}</td>
                        <td>{d.wrong}</td>
                        <td>{d.flags}</td>
                        <td>
                          {share === null
                            ? "–"
                            : `${d.unfamiliar} of ${d.drift_checked} (${share}%)`}
                        </td>
                        <td>
                          {d.mean_answer_chars === null ? "–" : Math.round(d.mean_answer_chars)}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          </details>
        </>
      )}
    </section>
  );
}
