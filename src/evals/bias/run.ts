/**
 * The probe run: the planned pairs (plan.ts) answered by the model the way the evaluation answers
 * (greedy, the report's token limit and batch size, by the engine's generate-batch; a classifier by
 * its `classify`), each input next to its twins, then compared (decide.ts) and summed up
 * (summary.ts).
 */
import type { BiasPair, BiasProbe } from "../../../protocol/bias.ts";
import type { EvaluationReport } from "../../../protocol/evals.ts";
import { engineResult } from "../../engine/index.ts";
import { TailorError } from "../../errors/index.ts";
import type { EvalModel } from "../evaluate.ts";
import { compareAnswers, type DecisionKind, decisionFields, type ProbeAnswer } from "./decide.ts";
import { MAX_PAIRS, type PlannedPair, type ProbeInput, planPairs } from "./plan.ts";
import { summarizeProbe } from "./summary.ts";

export interface BiasRunOptions {
  /** The evaluation the probe goes with: its kind of answers and its generation settings. */
  report: EvaluationReport;
  inputs: ProbeInput[];
  /** A model that writes answers, or a text classifier's folder. */
  model: EvalModel | { classifier: string };
  /** The expected answers (JSON data: which fields hold the decision). */
  expected?: string[] | undefined;
  maxPairs?: number | undefined;
  signal?: AbortSignal | undefined;
}

const KIND: Record<EvaluationReport["kind"], DecisionKind> = {
  label: "label",
  json: "json",
  tools: "tool_call",
  text: "text",
};

/** Each input of the pairs once, then every twin: one request, so both sides share the settings. */
function conversations(inputs: ProbeInput[], pairs: PlannedPair[]) {
  const originals = [...new Set(pairs.map((p) => p.index))];
  const at = new Map(originals.map((index, k) => [index, k]));
  const list = [
    ...originals.map((i) => inputs[i] as ProbeInput),
    ...pairs.map((p) => ({ ...(inputs[p.index] as ProbeInput), messages: p.messages })),
  ];
  return { list, original: (p: PlannedPair) => at.get(p.index) ?? 0, offset: originals.length };
}

async function answer(opts: BiasRunOptions, list: ProbeInput[]): Promise<ProbeAnswer[]> {
  const signal = opts.signal ? { signal: opts.signal } : {};
  if ("classifier" in opts.model) {
    const r = await engineResult(
      "classify",
      {
        model_dir: opts.model.classifier,
        input: list.map((c) => c.messages.at(-1)?.content ?? ""),
      },
      "classifications",
      signal,
    );
    return r.results.map((x) => ({
      text: x.predicted.join(", "),
      scores: Object.fromEntries(x.labels.map((l) => [l.label, l.score])),
    }));
  }
  const tooling = opts.report.kind === "tools";
  const m = opts.model;
  const r = await engineResult(
    "generate-batch",
    {
      models: [{ base: m.source, ...(m.adapterDir ? { adapter_dir: m.adapterDir } : {}) }],
      conversations: list.map((c) => c.messages),
      ...(tooling
        ? {
            tools: list.map((c) => c.tools ?? null),
            constrained: opts.report.settings.constrained ?? false,
          }
        : {}),
      max_tokens: opts.report.settings.max_tokens,
      batch_size: opts.report.settings.batch_size,
    },
    "generations",
    signal,
  );
  const g = r.results[0];
  if (!g) throw new TailorError({ code: "engine_protocol", message: "missing generations" });
  return list.map((_, i) => ({ text: g.texts[i] ?? "", calls: g.tool_calls?.[i] ?? null }));
}

/** Twins of the held-out inputs answered and compared; the probe's report. */
export async function runBiasProbe(opts: BiasRunOptions): Promise<BiasProbe> {
  const kind = "classifier" in opts.model ? "label" : KIND[opts.report.kind];
  const fields = kind === "json" ? decisionFields(opts.expected ?? []) : undefined;
  const { pairs: planned, mentioning } = planPairs(opts.inputs, opts.maxPairs ?? MAX_PAIRS);
  const pairs: BiasPair[] = [];
  if (planned.length) {
    const { list, original, offset } = conversations(opts.inputs, planned);
    const answers = await answer(opts, list);
    planned.forEach((p, k) => {
      const a = answers[original(p)] ?? { text: "" };
      const b = answers[offset + k] ?? { text: "" };
      pairs.push({
        line: p.line,
        swap: { group: p.swap.axis, from: p.from, to: p.to },
        prompt: p.prompt,
        twin_prompt: p.twinPrompt,
        ...compareAnswers(kind, a, b, p.swap, fields),
      });
    });
  }
  return summarizeProbe({
    kind,
    fields,
    examined: opts.inputs.length,
    mentioning,
    pairs,
  });
}
