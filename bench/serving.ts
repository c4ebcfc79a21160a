/**
 * Serving speed, llama.cpp against today's PyTorch engine, side by side in one run, on the built-in
 * SmolLM2-135M and on a fine-tune of it (trained here through `bin/tailor` in a temporary
 * TAILOR_HOME, a few steps), greedy, `--max-tokens` new tokens:
 * 1. single stream, each contender in its own process: PyTorch (InferenceEngine, the `serve`
 *    process, base + adapter) vs Tailor's llama.cpp engine on GGUF files the engine's `export`
 *    wrote (f16, q8_0, q4_0) and on the built-in's own Q4_1 file: tokens/s, time to first token,
 *    peak memory; `runs` rounds, medians, and per round llama.cpp's tokens/s over PyTorch's;
 * 2. `--clients` clients at once through the HTTP API of a real `tailor serve` (the official
 *    `openai` client): llama.cpp serving vs PyTorch serving (TAILOR_LLAMA=off): total tokens/s,
 *    p50/p95 latency, errors.
 * Usage: npx tsx bench/serving.ts [--runs 3] [--max-tokens 128] [--clients 8] [--requests 1]
 *        [--epochs 1] [--threads N] [--direct] [--no-http] [--no-single] [--json] [--keep]
 *        [--home DIR]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { cpuSummary, median, warmModelCache } from "./lib/python.ts";
import { CLIENT_PROMPTS, PROMPT } from "./serving/data.ts";
import { type LoadResult, runLoad } from "./serving/http.ts";
import { sampleLoad } from "./serving/load-average.ts";
import { printReport } from "./serving/report.ts";
import { prepareModels } from "./serving/setup.ts";
import { contendersOf, ratiosOverPytorch, runOnce, summary } from "./serving/single-stream.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const flag = (name: string) => process.argv.includes(name);
const runs = arg("--runs", 3);
const maxTokens = arg("--max-tokens", 128);
const clients = arg("--clients", 8);
const requests = arg("--requests", 1);
const epochs = arg("--epochs", 1);
const threads = arg("--threads", availableParallelism());
const json = flag("--json");
const say = (line: string) => {
  if (!json) console.error(line);
};

const load = sampleLoad();
const given = process.argv.indexOf("--home");
// --home DIR: a home kept by an earlier run (--keep), its fine-tune and exports used again
const home =
  given >= 0
    ? (process.argv[given + 1] ?? "")
    : mkdtempSync(join(tmpdir(), "tailor-bench-serving-"));
try {
  warmModelCache();
  const prepared = await prepareModels(home, { epochs, say });
  const { models } = prepared;

  // 1. single stream
  const singleFrom = load.mark();
  const contenders = flag("--no-single") ? [] : contendersOf(models, flag("--direct"));
  for (let run = 1; run <= runs; run++) {
    for (const c of contenders) {
      const m = models.find((x) => x.label === c.model);
      if (!m) continue;
      const r = runOnce(c, m, { prompt: PROMPT, maxTokens, threads, home });
      c.runs.push(r);
      load.read();
      say(
        `run ${run}/${runs} ${c.model} ${c.name}: ${r.tokens} tokens, ${r.tokens_per_second.toFixed(1)} tok/s, first token ${(r.time_to_first_token * 1000).toFixed(0)} ms, peak ${r.peak_rss_mb.toFixed(0)} MB`,
      );
    }
  }
  const singleLoad = load.summary(singleFrom);

  // 2. clients at once through the HTTP API
  const httpFrom = load.mark();
  const http: { model: string; engine: string; runs: LoadResult[] }[] = [];
  if (!flag("--no-http")) {
    for (const m of models)
      for (const engine of ["pytorch", "llama.cpp"] as const)
        http.push({ model: m.label, engine, runs: [] });
    for (let run = 1; run <= runs; run++) {
      for (const h of http) {
        const m = models.find((x) => x.label === h.model);
        if (!m) continue;
        const r = await runLoad({
          home,
          engine: h.engine as "pytorch" | "llama.cpp",
          model: m.name,
          prompts: CLIENT_PROMPTS,
          clients,
          requests,
          maxTokens,
          readyTimeoutMs: 600_000,
          say,
        });
        h.runs.push(r);
        say(
          `run ${run}/${runs} http ${h.model} ${h.engine} (${r.serving?.engine ?? "?"}): ${r.tokens_per_second.toFixed(1)} tok/s total, p50 ${r.latency_p50.toFixed(1)} s, p95 ${r.latency_p95.toFixed(1)} s, ${r.errors} errors`,
        );
      }
    }
  }
  const httpLoad = load.summary(httpFrom);
  load.stop();

  const single = contenders.map((c) => ({
    ...summary(c),
    ratio_over_pytorch: c.engine === "pytorch" ? null : median(ratiosOverPytorch(c, contenders)),
    per_run_ratio_over_pytorch: c.engine === "pytorch" ? null : ratiosOverPytorch(c, contenders),
  }));
  const httpSummary = http.map((h) => {
    const torch = http.find((x) => x.model === h.model && x.engine === "pytorch");
    const ratios = h.runs.map(
      (r, i) => r.tokens_per_second / (torch?.runs[i]?.tokens_per_second ?? Number.NaN),
    );
    const med = (k: keyof LoadResult) => median(h.runs.map((r) => Number(r[k])));
    return {
      model: h.model,
      engine: h.engine,
      served_by: h.runs.map((r) => r.serving?.engine ?? null),
      serving_reason: h.runs.at(-1)?.serving?.reason ?? null,
      tokens_per_second: med("tokens_per_second"),
      latency_p50: med("latency_p50"),
      latency_p95: med("latency_p95"),
      ttft_p50: med("ttft_p50"),
      ttft_p95: med("ttft_p95"),
      completion_tokens: med("completion_tokens"),
      errors: h.runs.reduce((n, r) => n + r.errors, 0),
      error_messages: [...new Set(h.runs.flatMap((r) => r.error_messages))],
      server_peak_rss_mb: med("server_peak_rss_mb"),
      per_run_tokens_per_second: h.runs.map((r) => r.tokens_per_second),
      ratio_over_pytorch: h.engine === "pytorch" ? null : median(ratios),
      per_run_ratio_over_pytorch: h.engine === "pytorch" ? null : ratios,
    };
  });
  const result = {
    benchmark: "serving",
    machine: cpuSummary(),
    settings: { runs, max_tokens: maxTokens, clients, requests, epochs, threads, prompt: PROMPT },
    fine_tune: { train_seconds: Math.round(prepared.trainSeconds), epochs },
    export_seconds: prepared.exportSeconds,
    load_average: { single_stream: singleLoad, http: httpLoad },
    single_stream: single,
    http: httpSummary,
    answers: contenders.map((c) => ({
      model: c.model,
      contender: c.name,
      text: c.runs[0]?.text.slice(0, 160),
    })),
  };
  if (json) console.log(JSON.stringify(result, null, 2));
  else printReport(result);
} finally {
  load.stop();
  if (flag("--keep") || given >= 0) console.error(`TAILOR_HOME kept: ${home}`);
  else rmSync(home, { recursive: true, force: true });
}
