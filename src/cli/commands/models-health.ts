/**
 * `tailor models health NAME [--days N] [--json]`: how a model name (all its versions) or a model
 * does in use: the summary in words, a sparkline per measure over the days, and the last week day by
 * day. Kept questions not yet checked for drift are embedded first (the engine starts only then).
 */
import type { Command } from "commander";
import type { HealthDay, HealthReport } from "../../../protocol/health.ts";
import { TailorError } from "../../errors/index.ts";
import { DEFAULT_DAYS, MAX_DAYS, openHealth } from "../../health/index.ts";
import { InferenceEngine } from "../../serving/index.ts";
import { positiveInt } from "../args.ts";
import { printJson, table } from "../output.ts";
import { withTailor } from "../services.ts";

const BARS = "▁▂▃▄▅▆▇█";
/** A day with nothing (zero), and a day with nothing to measure (no questions checked). */
const ZERO = "·";
const NONE = " ";

/** One character per value: · for zero, ▁ to █ by its share of the largest, blank for null. */
export function sparkline(values: readonly (number | null)[]): string {
  const max = Math.max(0, ...values.map((v) => v ?? 0));
  return values
    .map((v) => {
      if (v === null) return NONE;
      if (v <= 0 || max === 0) return ZERO;
      return BARS[Math.max(0, Math.ceil((v / max) * BARS.length) - 1)] ?? "█";
    })
    .join("");
}

const unfamiliarShare = (d: HealthDay) =>
  d.drift_checked ? Math.round((100 * d.unfamiliar) / d.drift_checked) : null;

/** The report as the terminal shows it. */
export function renderHealth(r: HealthReport): string {
  const out: string[] = [];
  const covers =
    r.models.length === 1 && r.models[0] === r.model
      ? ""
      : ` (${r.models.length === 1 ? "version" : "versions"} ${r.models.join(", ")})`;
  out.push(`${r.model}${covers}: ${r.from} to ${r.to} (UTC)`, "");
  for (const s of r.summary) out.push(`  ${s}`);
  out.push("");

  const sum = (days: readonly HealthDay[], f: (d: HealthDay) => number) =>
    days.reduce((s, d) => s + f(d), 0);
  const week = r.days.slice(-7);
  const rows: [string, (d: HealthDay) => number | null, (days: readonly HealthDay[]) => string][] =
    [
      ["requests", (d) => d.requests, (ds) => String(sum(ds, (d) => d.requests))],
      ["thumbs up", (d) => d.thumbs_up, (ds) => String(sum(ds, (d) => d.thumbs_up))],
      ["thumbs down", (d) => d.thumbs_down, (ds) => String(sum(ds, (d) => d.thumbs_down))],
      ["wrong", (d) => d.wrong, (ds) => String(sum(ds, (d) => d.wrong))],
      ["flags", (d) => d.flags, (ds) => String(sum(ds, (d) => d.flags))],
      [
        "unfamiliar %",
        unfamiliarShare,
        (ds) => {
          const checked = sum(ds, (d) => d.drift_checked);
          return checked
            ? `${Math.round((100 * sum(ds, (d) => d.unfamiliar)) / checked)}% of ${checked}`
            : "-";
        },
      ],
    ];
  out.push(
    table([
      ["", `${r.days.length} DAYS`, "ALL", "LAST 7"],
      ...rows.map(([label, f, total]) => [
        label,
        sparkline(r.days.map(f)),
        total(r.days),
        total(week),
      ]),
    ]),
  );
  out.push("", `(${ZERO} none that day; blank: no questions checked)`, "");

  out.push(
    table([
      ["DAY", "REQUESTS", "UP", "DOWN", "WRONG", "FLAGS", "CHARS", "UNFAMILIAR"],
      ...week.map((d) => [
        d.day,
        String(d.requests),
        String(d.thumbs_up),
        String(d.thumbs_down),
        String(d.wrong),
        String(d.flags),
        d.mean_answer_chars === null ? "-" : String(Math.round(d.mean_answer_chars)),
        d.drift_checked ? `${d.unfamiliar} of ${d.drift_checked}` : "-",
      ]),
    ]),
  );
  if (r.drift_threshold !== null)
    out.push("", `drift threshold: ${r.drift_threshold.toFixed(3)} (cosine distance)`);
  return out.join("\n");
}

export function registerModelsHealth(models: Command): void {
  models
    .command("health")
    .argument("<name>", "a model name (all its versions) or a model id")
    .description(
      "how a model does in use: requests, thumbs up/down, wrong answers, flags, answer length and unfamiliar questions per day, and whether it looks out of date",
    )
    .option(
      "--days <n>",
      `days to show, ending today (1-${MAX_DAYS})`,
      (v) => positiveInt(v, "--days"),
      DEFAULT_DAYS,
    )
    .option("--json", "print the report as JSON (as GET /v1/models/{model}/health)")
    .action(async (name: string, opts: { days: number; json?: boolean }) => {
      if (opts.days > MAX_DAYS)
        throw new TailorError({
          code: "invalid_argument",
          message: `--days must be at most ${MAX_DAYS}, got ${opts.days}`,
          details: { field: "--days" },
        });
      const report = await withTailor(async (svc) => {
        const engine = new InferenceEngine();
        try {
          const health = openHealth(svc, engine);
          const scope = health.scope(name);
          if (scope.kind === "model" && !svc.models.get(name))
            throw new TailorError({
              code: "model_not_found",
              message: `no model or model name '${name}'; \`tailor models list\` shows the models`,
              details: { field: "name" },
            });
          return await health.report(scope, { days: opts.days });
        } finally {
          await engine.close();
        }
      });
      if (opts.json) return printJson(report);
      console.log(renderHealth(report));
    });
}
