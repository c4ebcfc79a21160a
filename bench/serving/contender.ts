/**
 * One single-stream contender, in its own process: loads the model, answers one short warm-up
 * request, then the benchmark's prompt greedily, streamed, and prints one JSON line (new tokens,
 * seconds, tokens/s, time to first token, load time, peak memory).
 * Usage: node --import tsx bench/serving/contender.ts SETTINGS_JSON
 *   engine "pytorch"        today's engine: InferenceEngine (the `serve` process), base + adapter;
 *                           peak memory is the Python process's VmHWM
 *   engine "llama"          Tailor's llama.cpp engine (src/serving/llama) on a GGUF file; peak
 *                           memory is this Node process's maxRSS (Node's own share as baseline)
 *   engine "node-llama-cpp" node-llama-cpp alone (a chat session), for Tailor's layer's cost
 */
import { readFileSync } from "node:fs";
import type { ModelSource } from "../../protocol/engine/requests.ts";
import type { GenerateEvent, GenerateRequest } from "../../src/serving/index.ts";
import { InferenceEngine } from "../../src/serving/index.ts";
import { LlamaEngine } from "../../src/serving/llama/index.ts";

export interface ContenderSettings {
  engine: "pytorch" | "llama" | "node-llama-cpp";
  source: ModelSource;
  adapterDir?: string | undefined;
  gguf?: string | undefined;
  prompt: string;
  max_tokens: number;
  threads: number;
  env: Record<string, string>;
}

export interface ContenderResult {
  tokens: number;
  seconds: number;
  tokens_per_second: number;
  time_to_first_token: number;
  load_seconds: number;
  peak_rss_mb: number;
  /** Node's own peak before any model was loaded (llama contenders run inside Node). */
  baseline_rss_mb: number;
  text: string;
}

type Generate = (
  req: GenerateRequest,
) => AsyncGenerator<GenerateEvent, void, undefined> | AsyncIterable<GenerateEvent>;

/** Times one streamed generation: first delta, then the result's token count. */
async function timed(generate: Generate, req: GenerateRequest) {
  const started = performance.now();
  let first = 0;
  let text = "";
  let tokens = 0;
  for await (const ev of generate(req)) {
    if (ev.type === "delta") {
      if (!first) first = performance.now();
      text += ev.text;
    } else if (ev.type === "result") tokens = ev.completion_tokens;
  }
  const seconds = (performance.now() - started) / 1000;
  return { tokens, seconds, ttft: ((first || performance.now()) - started) / 1000, text };
}

const rssMb = () => process.resourceUsage().maxRSS / 1024;

function vmHwmMb(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1];
  return kb ? Number(kb) / 1024 : Number.NaN;
}

async function run(s: ContenderSettings): Promise<ContenderResult> {
  const baseline = rssMb();
  const req = (content: string, max_tokens: number): GenerateRequest => ({
    base: s.source,
    adapterDir: s.adapterDir,
    messages: [{ role: "user", content }],
    temperature: 0,
    max_tokens,
  });
  let generate: Generate;
  let peak: () => number;
  let close: () => Promise<void>;
  if (s.engine === "pytorch") {
    const engine = new InferenceEngine({ env: { ...process.env, ...s.env } });
    generate = (r) => engine.generate(r, { stream: true });
    peak = () => vmHwmMb(engine.pid);
    close = () => engine.close();
  } else if (s.engine === "llama") {
    const gguf = required(s.gguf);
    const engine = new LlamaEngine({ threads: s.threads }); // as `tailor serve` starts it
    generate = (r) => engine.generate(gguf, r, { stream: true });
    peak = rssMb;
    close = () => engine.close();
  } else {
    const { directLlama } = await import("./direct.ts");
    const engine = await directLlama(required(s.gguf), s.threads);
    generate = (r) => engine.generate(r);
    peak = rssMb;
    close = () => engine.close();
  }
  try {
    const loadStarted = performance.now();
    await timed(generate, req("Hi", 4)); // loads the model
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const t = await timed(generate, req(s.prompt, s.max_tokens));
    return {
      tokens: t.tokens,
      seconds: t.seconds,
      tokens_per_second: t.tokens / t.seconds,
      time_to_first_token: t.ttft,
      load_seconds: loadSeconds,
      peak_rss_mb: peak(),
      baseline_rss_mb: baseline,
      text: t.text,
    };
  } finally {
    await close();
  }
}

function required(gguf: string | undefined): string {
  if (!gguf) throw new Error("a llama.cpp contender needs a GGUF file");
  return gguf;
}

const settings = JSON.parse(process.argv[2] ?? "{}") as ContenderSettings;
const result = await run(settings);
console.log(JSON.stringify(result));
process.exit(0);
