import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import cliProgress from "cli-progress";
import type { Command } from "commander";
import type { EvaluationReport, Promotion } from "../../../protocol/evals.ts";
import { TailorError } from "../../errors/index.ts";
import {
  evaluate,
  evaluateClassifier,
  headline,
  KIND_TEXT,
  loadEvalExamples,
  loadLabelledExamples,
  metricLabel,
  renderHtml,
  reportedMetrics,
} from "../../evals/index.ts";
import { resolveModelRef, testModel } from "../../jobs/index.ts";
import type { Services } from "../../services/index.ts";
import { positiveInt, positiveNumber } from "../args.ts";
import { printJson, say, table } from "../output.ts";
import { withTailor } from "../services.ts";
import { printBias } from "./eval-bias.ts";
import { printForgetting } from "./eval-forgetting.ts";

interface EvalFlags {
  data: string;
  compare?: string;
  json?: boolean;
  html?: string;
  maxTokens?: number;
  batchSize: number;
  save?: boolean;
  minDelta: number;
  constrained?: boolean;
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
  const kind = KIND_TEXT[r.kind];
  const constrained = r.settings.constrained ? " (arguments decoded under their schemas)" : "";
  console.log(
    `${r.data.examples} examples from ${r.data.source}; the expected answers are ${kind}${constrained}.`,
  );
  console.log(headline(r));
  console.log("");
  const metrics = reportedMetrics(r);
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
  const fields = [...new Set(r.models.flatMap((m) => Object.keys(m.argument_fields ?? {})))];
  if (fields.length > 0) {
    console.log("\narguments given exactly, field by field:");
    console.log(
      table([
        ["FIELD", ...names],
        ...fields.map((f) => [
          f,
          ...r.models.map((m) => {
            const t = m.argument_fields?.[f];
            return t ? `${pct("", t.correct / t.total)} (${t.correct}/${t.total})` : "–";
          }),
        ]),
      ]),
    );
  }
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
  if (r.classification) printClassification(r.classification);
  const shown = r.examples.slice(0, EXAMPLE_ROWS);
  const width = r.kind === "tools" ? 60 : 40; // a call with its arguments
  console.log("");
  console.log(
    table([
      ["LINE", ...(r.outcome ? ["RESULT"] : []), "EXPECTED", ...names.map((n) => n.toUpperCase())],
      ...shown.map((e) => [
        String(e.line),
        ...(e.outcome ? [{ win: "better", loss: "worse", tie: "same" }[e.outcome]] : []),
        clip(e.expected, width),
        ...e.outputs.map((o, i) => `${clip(o, width) || "(empty)"} [${pct("", e.scores[i])}]`),
      ]),
    ]),
  );
  if (r.examples.length > shown.length)
    console.log(
      `… and ${r.examples.length - shown.length} more (all of them with --json or --html)`,
    );
  if (r.bias) printBias(r.bias);
  if (r.forgetting) printForgetting(r.forgetting);
  if (promotion) {
    console.log("");
    console.log(`${promotion.status === "ready" ? "ready" : "needs review"}: ${promotion.reason}`);
  }
}

/** A classifier's per-label scores and calibration. */
function printClassification(c: NonNullable<EvaluationReport["classification"]>): void {
  console.log("\neach label on the held-out texts:");
  console.log(
    table([
      ["LABEL", "PRECISION", "RECALL", "F1", "TEXTS"],
      ...Object.entries(c.per_label).map(([l, s]) => [
        clip(l, 24),
        pct("", s.precision),
        pct("", s.recall),
        pct("", s.f1),
        String(s.support),
      ]),
    ]),
  );
  const k = c.calibration;
  console.log(
    `calibration: expected calibration error ${pct("", k.ece_after)} with the temperature ${k.temperature.toFixed(2)}, ${pct("", k.ece_before)} without it (0% = a score of 0.8 is right 80% of the time)`,
  );
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
      "--constrained",
      "tool data: decode function arguments under their schemas, as serving does (default: the model's own output)",
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
    .action((ref: string, opts: EvalFlags) => withTailor((svc) => runEval(svc, ref, opts)));
}

async function runEval(svc: Services, ref: string, opts: EvalFlags): Promise<void> {
  const model = resolveModelRef(svc, ref);
  const manifest = svc.models.get(ref)?.manifest;
  const ownBase = manifest?.kind === "fine_tuned" ? manifest.base : null;
  const bar = progress();
  let report: EvaluationReport;
  let promotion: Promotion | null = null;
  try {
    if (opts.save) {
      if (opts.constrained) {
        throw new TailorError({
          code: "invalid_argument",
          message:
            "--save stores the test a job runs, on the model's own output; leave out --constrained (or leave out --save to see the constrained scores)",
        });
      }
      if (!ownBase) {
        throw new TailorError({
          code: "invalid_argument",
          message: `--save stores the evaluation of a fine-tuned model; ${ref} is not one (\`tailor models list\` shows them)`,
        });
      }
      if (opts.compare !== undefined && opts.compare !== ownBase.name) {
        throw new TailorError({
          code: "invalid_argument",
          message: `--save compares ${ref} with its base model ${ownBase.name}; leave out --compare or pass --compare ${ownBase.name}`,
        });
      }
      const test = await testModel(svc, {
        folder: svc.models.modelDir(ref),
        model,
        data: opts.data,
        minDelta: opts.minDelta,
        maxTokens: opts.maxTokens,
        batchSize: opts.batchSize,
        onProgress: bar.update,
      });
      if (!test.report)
        throw new TailorError({ code: "internal", message: "the test made no report" });
      report = test.report;
      promotion = test.promotion;
    } else if (manifest?.kind === "fine_tuned" && manifest.method === "classify") {
      // a text classifier labels the texts; it is compared with the majority-label baseline
      if (opts.compare !== undefined)
        throw new TailorError({
          code: "invalid_argument",
          message: `${ref} is a text classifier: it is compared with always answering the most common label; leave out --compare`,
        });
      const { examples, source } = await loadLabelledExamples(opts.data, svc.datasets);
      report = await evaluateClassifier({
        name: ref,
        folder: svc.models.modelDir(ref),
        examples,
        source,
      });
    } else {
      const compare =
        opts.compare === undefined
          ? undefined
          : opts.compare === ownBase?.name
            ? { name: opts.compare, source: ownBase.source }
            : resolveModelRef(svc, opts.compare);
      const { examples, source } = await loadEvalExamples(opts.data, svc.datasets);
      report = await evaluate({
        model,
        compare,
        examples,
        source,
        maxTokens: opts.maxTokens,
        batchSize: opts.batchSize,
        constrained: opts.constrained,
        onProgress: bar.update,
      });
    }
  } finally {
    bar.stop();
  }
  if (opts.html) writeFileSync(opts.html, renderHtml(report));
  if (opts.json) return printJson({ ...report, promotion });
  printReport(report, promotion);
  if (opts.html) say(`report: ${resolve(opts.html)}`);
}
