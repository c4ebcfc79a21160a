import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import cliProgress from "cli-progress";
import type { Command } from "commander";
import type { EvaluationReport, MetricName, Promotion } from "../../../protocol/evals.ts";
import { TailorError } from "../../errors/index.ts";
import {
  decidePromotion,
  type EvalModel,
  evaluate,
  headline,
  loadEvalExamples,
  metricLabel,
  renderHtml,
  saveEvaluation,
  writeCard,
} from "../../evals/index.ts";
import { resolveCheckpoint } from "../../jobs/index.ts";
import { ModelRegistry, tailorHome } from "../../models/index.ts";
import { positiveInt, positiveNumber } from "../args.ts";
import { printJson, say, table } from "../output.ts";

interface EvalFlags {
  data: string;
  compare?: string;
  json?: boolean;
  html?: string;
  maxTokens?: number;
  batchSize: number;
  save?: boolean;
  minDelta: number;
}

function resolveModel(home: string, ref: string): EvalModel {
  return resolveCheckpoint(home, ref) ?? new ModelRegistry(home).resolve(ref);
}

/** A progress bar on a terminal, a line every quarter otherwise. */
function progress(): { update: (done: number, total: number) => void; stop: () => void } {
  if (!process.stderr.isTTY) {
    let next = 0;
    return {
      update: (done, total) => {
        if (done / total >= next) {
          say(`answered ${done} of ${total}`);
          next = Math.floor((done / total) * 4 + 1) / 4;
        }
      },
      stop: () => {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: "generating answers |{bar}| {value}/{total} | ETA {eta_formatted}",
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update: (done, total) => {
      if (!started) bar.start(total, 0);
      started = true;
      bar.update(done);
    },
    stop: () => started && bar.stop(),
  };
}

const pct = (k: string, x: number | undefined) =>
  x === undefined ? "–" : k === "length_ratio" ? x.toFixed(2) : `${(x * 100).toFixed(1)}%`;

export function printReport(r: EvaluationReport, promotion: Promotion | null): void {
  const names = r.models.map((m) => m.model);
  const kind = { json: "JSON objects", label: "short labels", text: "free text" }[r.kind];
  console.log(
    `${r.data.examples} examples from ${r.data.source}; the expected answers are ${kind}.`,
  );
  console.log(headline(r));
  console.log("");
  const metrics = Object.keys(r.models[0]?.metrics ?? {}) as MetricName[];
  console.log(
    table([
      ["METRIC", ...names, ...(r.deltas ? ["CHANGE"] : [])],
      ...metrics.map((k) => {
        const d = r.deltas?.[k];
        return [
          `${metricLabel(k)}${k === r.primary_metric ? " *" : ""}`,
          ...r.models.map((m) => pct(k, m.metrics[k])),
          ...(d === undefined
            ? []
            : [
                k === "length_ratio"
                  ? `${d >= 0 ? "+" : ""}${d.toFixed(2)}`
                  : `${d >= 0 ? "+" : ""}${(d * 100).toFixed(1)} pts`,
              ]),
        ];
      }),
    ]),
  );
  console.log(`* primary metric: ${metricLabel(r.primary_metric)}`);
  for (const m of r.models) {
    if (!m.confusion) continue;
    const c = m.confusion;
    console.log(`\nlabels of ${m.model} (rows: expected, columns: answered):`);
    console.log(
      table([
        ["", ...c.labels.map((l) => clip(l, 16))],
        ...c.matrix.map((row, i) => [clip(c.labels[i] ?? "", 16), ...row.map(String)]),
      ]),
    );
  }
  const shown = r.examples.slice(0, EXAMPLE_ROWS);
  console.log("");
  console.log(
    table([
      ["LINE", ...(r.outcome ? ["RESULT"] : []), "EXPECTED", ...names.map((n) => n.toUpperCase())],
      ...shown.map((e) => [
        String(e.line),
        ...(e.outcome ? [{ win: "better", loss: "worse", tie: "same" }[e.outcome]] : []),
        clip(e.expected, 40),
        ...e.outputs.map((o, i) => `${clip(o, 40) || "(empty)"} [${pct("", e.scores[i])}]`),
      ]),
    ]),
  );
  if (r.examples.length > shown.length)
    console.log(
      `… and ${r.examples.length - shown.length} more (all of them with --json or --html)`,
    );
  if (promotion) {
    console.log("");
    console.log(`${promotion.status === "ready" ? "ready" : "needs review"}: ${promotion.reason}`);
  }
}

/** Examples listed in the terminal; --json and --html have all of them. */
const EXAMPLE_ROWS = 20;

function clip(s: string, n = 100): string {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}

export function registerEval(program: Command): void {
  program
    .command("eval")
    .argument("<model>", "the model to test: a name, a checkpoint (JOB_ID:step-N) or a folder")
    .description(
      "answer held-out examples with a model (and another to compare with) and score the answers",
    )
    .requiredOption("--data <file|id>", "examples with expected answers: JSONL/CSV or a dataset id")
    .option("--compare <model>", "a second model to answer the same examples (e.g. the base)")
    .option("--json", "print the whole report as JSON")
    .option("--html <file>", "also write a self-contained HTML report with charts")
    .option(
      "--max-tokens <n>",
      "longest answer to generate (default: enough for the longest expected answer)",
      (v) => positiveInt(v, "--max-tokens"),
    )
    .option(
      "--batch-size <n>",
      "examples answered at once",
      (v) => positiveInt(v, "--batch-size"),
      8,
    )
    .option(
      "--save",
      "store this as the fine-tuned model's evaluation against its base, and decide whether it is ready",
    )
    .option(
      "--min-delta <x>",
      "with --save: how much better than its base (0-1, on the primary metric) the model must be to be ready",
      (v) => positiveNumber(v, "--min-delta", true),
      0,
    )
    .action(async (ref: string, opts: EvalFlags) => {
      const home = tailorHome();
      const registry = new ModelRegistry(home);
      const model = resolveModel(home, ref);
      let compareRef = opts.compare;
      const manifest = registry.get(ref)?.manifest;
      if (opts.save) {
        if (manifest?.kind !== "fine_tuned") {
          throw new TailorError({
            code: "invalid_argument",
            message: `--save stores the evaluation of a fine-tuned model; ${ref} is not one (\`tailor models list\` shows them)`,
          });
        }
        compareRef ??= manifest.base.name;
        if (compareRef !== manifest.base.name) {
          throw new TailorError({
            code: "invalid_argument",
            message: `--save compares ${ref} with its base model ${manifest.base.name}; leave out --compare or pass --compare ${manifest.base.name}`,
          });
        }
      }
      const ownBase = manifest?.kind === "fine_tuned" ? manifest.base : null;
      const compare =
        compareRef === undefined
          ? undefined
          : compareRef === ownBase?.name
            ? { name: compareRef, source: ownBase.source }
            : resolveModel(home, compareRef);
      const { examples, source } = await loadEvalExamples(opts.data, home);
      const bar = progress();
      let report: EvaluationReport;
      try {
        report = await evaluate({
          model,
          compare,
          examples,
          source,
          maxTokens: opts.maxTokens,
          batchSize: opts.batchSize,
          onProgress: bar.update,
        });
      } finally {
        bar.stop();
      }
      let promotion: Promotion | null = null;
      if (opts.save) {
        promotion = decidePromotion(report, { model: ref, minDelta: opts.minDelta });
        saveEvaluation(registry.modelDir(ref), report, promotion);
        writeCard(home, ref);
      }
      if (opts.html) {
        writeFileSync(opts.html, renderHtml(report));
      }
      if (opts.json) return printJson({ ...report, promotion });
      printReport(report, promotion);
      if (opts.html) say(`report: ${resolve(opts.html)}`);
    });
}
