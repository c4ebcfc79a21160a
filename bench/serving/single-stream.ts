/**
 * The single-stream part: every contender (PyTorch on base + adapter; llama.cpp on each GGUF file)
 * in its own process, one after another, `runs` rounds; medians per contender and, per round, each
 * llama.cpp contender's tokens/s over PyTorch's of the same round.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { median } from "../lib/python.ts";
import type { ContenderResult, ContenderSettings } from "./contender.ts";
import type { BenchModel } from "./setup.ts";

const CONTENDER = fileURLToPath(new URL("./contender.ts", import.meta.url));

export interface Contender {
  model: BenchModel["label"];
  /** `pytorch`, `llama.cpp f16`, `node-llama-cpp Q4_1 (built-in)`, ... */
  name: string;
  engine: ContenderSettings["engine"];
  gguf?: { label: string; path: string; bytes: number } | undefined;
  runs: ContenderResult[];
}

export interface SingleStreamSettings {
  prompt: string;
  maxTokens: number;
  threads: number;
  home: string;
}

export function contendersOf(models: BenchModel[], direct: boolean): Contender[] {
  return models.flatMap((m) => [
    { model: m.label, name: "pytorch", engine: "pytorch" as const, runs: [] },
    ...m.ggufs.flatMap((g) => [
      { model: m.label, name: `llama.cpp ${g.label}`, engine: "llama" as const, gguf: g, runs: [] },
      ...(direct
        ? [
            {
              model: m.label,
              name: `node-llama-cpp ${g.label}`,
              engine: "node-llama-cpp" as const,
              gguf: g,
              runs: [],
            },
          ]
        : []),
    ]),
  ]);
}

export function runOnce(c: Contender, m: BenchModel, s: SingleStreamSettings): ContenderResult {
  const settings: ContenderSettings = {
    engine: c.engine,
    source: m.source,
    adapterDir: m.adapterDir,
    gguf: c.gguf?.path,
    prompt: s.prompt,
    max_tokens: s.maxTokens,
    threads: s.threads,
    env: { TAILOR_HOME: s.home, HF_HUB_OFFLINE: "1" },
  };
  const r = spawnSync(process.execPath, ["--import", "tsx", CONTENDER, JSON.stringify(settings)], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    timeout: 600_000,
  });
  const last = r.stdout.trim().split("\n").at(-1) ?? "";
  if (r.status !== 0 || !last.startsWith("{"))
    throw new Error(
      `${c.model} ${c.name} failed (exit ${r.status ?? r.signal}):\n${r.stderr.slice(-4000)}`,
    );
  return JSON.parse(last) as ContenderResult;
}

/** Medians of a contender's runs. */
export function summary(c: Contender) {
  const med = (k: keyof Omit<ContenderResult, "text">) => median(c.runs.map((r) => r[k]));
  return {
    model: c.model,
    contender: c.name,
    tokens: med("tokens"),
    tokens_per_second: med("tokens_per_second"),
    time_to_first_token: med("time_to_first_token"),
    load_seconds: med("load_seconds"),
    peak_rss_mb: med("peak_rss_mb"),
    baseline_rss_mb: med("baseline_rss_mb"),
    file_mb: c.gguf ? c.gguf.bytes / 1e6 : null,
    per_run_tokens_per_second: c.runs.map((r) => r.tokens_per_second),
  };
}

/** Per round, this contender's tokens/s over PyTorch's on the same model in the same round. */
export function ratiosOverPytorch(c: Contender, all: Contender[]): number[] {
  const torch = all.find((x) => x.model === c.model && x.engine === "pytorch");
  return c.runs.map(
    (r, i) => r.tokens_per_second / (torch?.runs[i]?.tokens_per_second ?? Number.NaN),
  );
}
