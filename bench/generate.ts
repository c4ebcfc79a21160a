/**
 * Generation speed of the built-in SmolLM2-135M on this machine, greedy, the same prompt, each
 * contender in its own process: the engine's generation as `serve` runs it (KV cache, streamed
 * deltas) against plain `model.generate` with and without its KV cache. Reports new tokens per
 * second, time to first token and peak memory, median of the runs, and the ratios.
 * Usage: npx tsx bench/generate.ts [--runs 3] [--max-tokens 64] [--json]
 */
import { cpuSummary, median, runContender, warmModelCache } from "./lib/python.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const runs = arg("--runs", 3);
const json = process.argv.includes("--json");
const settings = {
  max_tokens: arg("--max-tokens", 64),
  prompt:
    "My e-bike battery drains in a day even when I do not ride it. What should I check first, and when should I bring it in?",
};
const CONTENDERS = ["engine", "generate", "no-cache"] as const;
type Result = {
  tokens: number;
  tokens_per_second: number;
  time_to_first_token: number;
  peak_rss_mb: number;
};

warmModelCache();
const results: Record<string, Result[]> = {};
for (let run = 1; run <= runs; run++) {
  for (const c of CONTENDERS) {
    const r = runContender("generation/contender.py", [
      JSON.stringify(settings),
      c,
    ]) as unknown as Result;
    results[c] = [...(results[c] ?? []), r];
    if (!json)
      console.error(
        `run ${run}/${runs} ${c}: ${r.tokens} tokens, ${r.tokens_per_second.toFixed(1)} tok/s, first token ${(r.time_to_first_token * 1000).toFixed(0)} ms`,
      );
  }
}
const summary = Object.fromEntries(
  CONTENDERS.map((c) => {
    const rs = results[c] ?? [];
    return [
      c,
      {
        tokens: median(rs.map((r) => r.tokens)),
        tokens_per_second: median(rs.map((r) => r.tokens_per_second)),
        time_to_first_token: median(rs.map((r) => r.time_to_first_token)),
        peak_rss_mb: median(rs.map((r) => r.peak_rss_mb)),
      },
    ];
  }),
);
const tps = (c: (typeof CONTENDERS)[number]) => summary[c]?.tokens_per_second ?? Number.NaN;
const result = {
  benchmark: "generate",
  model: "smollm2-135m-instruct",
  cpu: cpuSummary(),
  settings: { ...settings, runs },
  contenders: summary,
  ratio_engine_over_generate: tps("engine") / tps("generate"),
  ratio_engine_over_no_cache: tps("engine") / tps("no-cache"),
};
if (json) console.log(JSON.stringify(result));
else {
  console.log(
    `greedy generation, smollm2-135m-instruct, up to ${settings.max_tokens} new tokens, median of ${runs} runs, ${result.cpu.cores} CPUs:`,
  );
  console.log("  contender   tokens/s   first token   peak MB");
  for (const [name, s] of Object.entries(summary))
    console.log(
      `  ${name.padEnd(10)} ${s.tokens_per_second.toFixed(1).padStart(9)} ${`${(s.time_to_first_token * 1000).toFixed(0)} ms`.padStart(13)} ${s.peak_rss_mb.toFixed(0).padStart(9)}`,
    );
  console.log(
    `  engine / generate: ${result.ratio_engine_over_generate.toFixed(2)}x, engine / no-cache: ${result.ratio_engine_over_no_cache.toFixed(2)}x`,
  );
  console.log(JSON.stringify(result));
}
