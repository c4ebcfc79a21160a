/**
 * The evaluation as one self-contained HTML page (no network: Chart.js is inlined) that a
 * non-engineer can read: a sentence saying who won, charts of the scores and of wins/ties/losses,
 * the metrics explained, and every example side by side.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type EvaluationReport, METRICS, type MetricName } from "../../protocol/evals.ts";
import { biasHtml } from "./bias/render.ts";
import { forgettingHtml } from "./forgetting/html.ts";
import { metricLabel } from "./promotion.ts";

function chartJs(): string {
  // chart.js's package exports do not list its UMD build; find the package folder instead
  const pkg = createRequire(import.meta.url).resolve("chart.js");
  const dir = dirname(pkg).endsWith("dist") ? dirname(pkg) : join(dirname(pkg), "dist");
  return readFileSync(join(dir, "chart.umd.min.js"), "utf8").replaceAll("</script", "<\\/script");
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const pct = (x: number | undefined) => (x === undefined ? "–" : `${(x * 100).toFixed(1)}%`);
const value = (k: string, x: number | undefined) =>
  k === "length_ratio" ? (x === undefined ? "–" : x.toFixed(2)) : pct(x);

/** The metrics any of the models has, in the order METRICS lists them. */
export function reportedMetrics(r: EvaluationReport): MetricName[] {
  return (Object.keys(METRICS) as MetricName[]).filter((k) =>
    r.models.some((m) => m.metrics[k] !== undefined),
  );
}

export const KIND_TEXT = {
  json: "JSON objects",
  label: "short labels",
  text: "free text",
  tools: "function calls or words",
} as const;

/** The report's verdict in one plain sentence. */
export function headline(r: EvaluationReport): string {
  const [a, b] = r.models;
  const label = metricLabel(r.primary_metric);
  if (!a) return "";
  if (!b || !r.outcome) {
    return `${a.model} scored ${pct(a.metrics[r.primary_metric])} ${label} on ${r.data.examples} examples.`;
  }
  const { wins, losses, ties } = r.outcome;
  const verdict =
    wins > losses
      ? `${a.model} answered better than ${b.model}`
      : wins < losses
        ? `${a.model} answered worse than ${b.model}`
        : `${a.model} and ${b.model} did equally well`;
  return `${verdict}: better on ${wins} of ${r.data.examples} examples, worse on ${losses}, the same on ${ties}. ${label[0]?.toUpperCase()}${label.slice(1)}: ${pct(a.metrics[r.primary_metric])} against ${pct(b.metrics[r.primary_metric])}.`;
}

export function renderHtml(r: EvaluationReport): string {
  const names = r.models.map((m) => m.model);
  const metricNames = reportedMetrics(r);
  const data = {
    names,
    percentMetrics: metricNames
      .filter((k) => k !== "length_ratio")
      .map((k) => ({
        label: metricLabel(k),
        values: r.models.map((m) => Math.round((m.metrics[k] ?? 0) * 1000) / 10),
      })),
    outcome: r.outcome,
  };
  const json = JSON.stringify(data).replaceAll("<", "\\u003c");
  const metricRows = metricNames
    .map((k) => {
      const cells = r.models.map((m) => `<td class="num">${value(k, m.metrics[k])}</td>`).join("");
      const d = r.deltas?.[k];
      const delta =
        d === undefined
          ? ""
          : `<td class="num ${d > 0 ? "up" : d < 0 ? "down" : ""}">${d >= 0 ? "+" : ""}${k === "length_ratio" ? d.toFixed(2) : `${(d * 100).toFixed(1)} pts`}</td>`;
      return `<tr><th scope="row">${escapeHtml(metricLabel(k))}${k === r.primary_metric ? " <span class=tag>primary</span>" : ""}<div class=explain>${escapeHtml(METRICS[k].split(": ")[1] ?? "")}</div></th>${cells}${delta}</tr>`;
    })
    .join("\n");
  const outcomeText = { win: "better", loss: "worse", tie: "same" } as const;
  const exampleRows = r.examples
    .map(
      (e, i) =>
        `<tr class="${e.outcome ?? ""}"><td class="num">${i + 1}<div class=explain>line ${e.line}</div></td><td>${escapeHtml(e.prompt)}</td><td>${escapeHtml(e.expected)}</td>${e.outputs
          .map(
            (o, j) =>
              `<td>${o ? escapeHtml(o) : '<span class="explain">(empty answer)</span>'}<div class=explain>score ${pct(e.scores[j])}</div></td>`,
          )
          .join(
            "",
          )}${e.outcome ? `<td><span class="badge ${e.outcome}">${outcomeText[e.outcome]}</span></td>` : ""}</tr>`,
    )
    .join("\n");
  const confusion = r.models
    .filter((m) => m.confusion)
    .map((m) => {
      const c = m.confusion;
      if (!c) return "";
      return `<h3>Labels of ${escapeHtml(m.model)}: expected (rows) against answered (columns)</h3>
<table class="confusion"><tr><th></th>${c.labels.map((l) => `<th scope="col">${escapeHtml(l)}</th>`).join("")}</tr>
${c.matrix.map((row, i) => `<tr><th scope="row">${escapeHtml(c.labels[i] ?? "")}</th>${row.map((n, j) => `<td class="num ${i === j && n > 0 ? "hit" : n > 0 ? "miss" : ""}">${n}</td>`).join("")}</tr>`).join("\n")}</table>`;
    })
    .join("\n");
  const fieldKeys = [...new Set(r.models.flatMap((m) => Object.keys(m.argument_fields ?? {})))];
  const fields = fieldKeys.length
    ? `<h2>Arguments, field by field</h2>
<p class="explain">How often each expected argument was given exactly, over all the examples that expect a call to its function.</p>
<table id="fields"><thead><tr><th scope="col">function.argument</th>${names.map((n) => `<th scope="col" class="num">${escapeHtml(n)}</th>`).join("")}</tr></thead><tbody>
${fieldKeys
  .map(
    (f) =>
      `<tr><th scope="row"><code>${escapeHtml(f)}</code></th>${r.models
        .map((m) => {
          const t = m.argument_fields?.[f];
          return `<td class="num">${t ? `${pct(t.correct / t.total)} <span class=explain>(${t.correct}/${t.total})</span>` : "–"}</td>`;
        })
        .join("")}</tr>`,
  )
  .join("\n")}
</tbody></table>`
    : "";
  const title = names.length > 1 ? `${names[0]} against ${names[1]}` : `${names[0]}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Evaluation: ${escapeHtml(title)}</title>
<style>
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2230;background:#f6f7fb}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px}h3{font-size:15px}
.lead{font-size:18px;background:#fff;border-left:4px solid #4f6bed;padding:12px 16px;border-radius:6px}.lead.warn{border-left-color:#b3261e}
.meta,.explain{color:#5b6275;font-size:13px;font-weight:normal}
#outcome{max-height:260px}
.charts{display:grid;grid-template-columns:2fr 1fr;gap:16px}
.card{background:#fff;border-radius:8px;padding:16px;box-shadow:0 1px 3px #0001}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #e3e6ef;padding:8px;text-align:left;vertical-align:top}
td{white-space:pre-wrap;word-break:break-word}
.num{text-align:right;white-space:nowrap}.up{color:#137333}.down{color:#b3261e}
.tag{font-size:11px;background:#e8ecfd;color:#3046b8;border-radius:4px;padding:1px 5px}
.badge{border-radius:10px;padding:2px 8px;font-size:13px;white-space:nowrap}
.badge.win{background:#e6f4ea;color:#137333}.badge.loss{background:#fce8e6;color:#b3261e}.badge.tie{background:#eceff4;color:#444}
.hit{background:#e6f4ea}.miss{background:#fce8e6}
@media (max-width:800px){.charts{grid-template-columns:1fr}}
</style></head>
<body><main>
<h1>Evaluation: ${escapeHtml(title)}</h1>
<p class="meta">${r.data.examples} examples from ${escapeHtml(r.data.source)} · answers are ${KIND_TEXT[r.kind]}${r.settings.constrained ? " (arguments decoded under their schemas)" : ""} · ${r.settings.greedy ? "greedy (the most likely answer, no randomness)" : "sampled"}, at most ${r.settings.max_tokens} tokens · ${new Date(r.created_at * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC</p>
<p class="lead" id="headline">${escapeHtml(headline(r))}</p>
<div class="charts">
<div class="card"><h2>Scores (higher is better)</h2><canvas id="scores" role="img" aria-label="bar chart of the scores of each model"></canvas></div>
${r.outcome ? `<div class="card"><h2>Example by example</h2><canvas id="outcome" role="img" aria-label="wins, ties and losses"></canvas></div>` : ""}
</div>
<h2>The scores</h2>
<table id="metrics"><thead><tr><th scope="col">metric</th>${names.map((n) => `<th scope="col" class="num">${escapeHtml(n)}</th>`).join("")}${r.deltas ? '<th scope="col" class="num">change</th>' : ""}</tr></thead><tbody>
${metricRows}
</tbody></table>
${fields}
${confusion}
${r.bias ? biasHtml(r.bias, escapeHtml) : ""}
${r.forgetting ? forgettingHtml(r.forgetting, { model: names[0] ?? "", base: r.models[1]?.model ?? "base" }, escapeHtml) : ""}
<h2>Every example</h2>
<p class="explain">Each answer's score is its ${escapeHtml(metricLabel(r.primary_metric))} against the expected answer.</p>
<table id="examples"><thead><tr><th scope="col">#</th><th scope="col">question</th><th scope="col">expected</th>${names.map((n) => `<th scope="col">${escapeHtml(n)}</th>`).join("")}${r.outcome ? `<th scope="col">${escapeHtml(names[0] ?? "")} was</th>` : ""}</tr></thead><tbody>
${exampleRows}
</tbody></table>
</main>
<script id="report-data" type="application/json">${json}</script>
<script>${chartJs()}</script>
<script>
const d = JSON.parse(document.getElementById("report-data").textContent);
const colors = ["#4f6bed", "#b0b7c9"];
new Chart(document.getElementById("scores"), {
  type: "bar",
  data: { labels: d.percentMetrics.map((m) => m.label),
    datasets: d.names.map((n, i) => ({ label: n, data: d.percentMetrics.map((m) => m.values[i]), backgroundColor: colors[i] })) },
  options: { animation: false, scales: { y: { min: 0, max: 100, ticks: { callback: (v) => v + "%" } } } },
});
if (d.outcome) new Chart(document.getElementById("outcome"), {
  type: "doughnut",
  data: { labels: ["better", "the same", "worse"],
    datasets: [{ data: [d.outcome.wins, d.outcome.ties, d.outcome.losses], backgroundColor: ["#34a853", "#c7ccd8", "#ea4335"] }] },
  options: { animation: false },
});
</script>
</body></html>
`;
}
