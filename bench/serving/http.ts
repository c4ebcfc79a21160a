/**
 * The HTTP part: a real `tailor serve` process (its own Node process, listening on loopback) on the
 * benchmark's TAILOR_HOME, and N clients (the official `openai` client, one each) asking it at once,
 * each `requests` chat completions one after another, streamed, greedy, `maxTokens` new tokens.
 * Reports total generated tokens/s over the wall time, p50/p95 of the requests' latency and time to
 * first token, errors, which engine the server said answers the model, and the server's peak memory
 * (VmHWM of its process and of the engine processes it started, summed).
 */
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import OpenAI from "openai";
import { readLocalAdminKey } from "../../src/auth/index.ts";
import { type ServeProcess, spawnServe } from "../lib/serve.ts";
import { homeEnv } from "./setup.ts";

export interface LoadSettings {
  home: string;
  /** "llama.cpp": the server as it runs by default; "pytorch": with TAILOR_LLAMA=off. */
  engine: "llama.cpp" | "pytorch";
  model: string;
  prompts: string[];
  clients: number;
  requests: number;
  maxTokens: number;
  /** How long to wait for the server to say llama.cpp answers the model (its GGUF copy). */
  readyTimeoutMs: number;
  say: (line: string) => void;
}

export interface LoadResult {
  serving: { engine: string; reason: string } | null;
  requests: number;
  errors: number;
  error_messages: string[];
  completion_tokens: number;
  wall_seconds: number;
  tokens_per_second: number;
  latency_p50: number;
  latency_p95: number;
  ttft_p50: number;
  ttft_p95: number;
  server_peak_rss_mb: number;
}

/** The p-th percentile (nearest rank) of xs. */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}

function startServe(s: LoadSettings): Promise<ServeProcess> {
  return spawnServe({
    ...homeEnv(s.home),
    ...(s.engine === "pytorch" ? { TAILOR_LLAMA: "off" } : {}),
  });
}

/** VmHWM of a process and of every process below it, in MB, summed. */
function treePeakMb(pid: number): number {
  const hwm = (p: number) => {
    try {
      const kb = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, "utf8"))?.[1];
      return kb ? Number(kb) / 1024 : 0;
    } catch {
      return 0;
    }
  };
  const children = (p: number): number[] => {
    try {
      return readFileSync(`/proc/${p}/task/${p}/children`, "utf8")
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number);
    } catch {
      return [];
    }
  };
  const all = (p: number): number[] => [p, ...children(p).flatMap(all)];
  return all(pid).reduce((sum, p) => sum + hwm(p), 0);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  if ((await Promise.race([exited, sleep(20_000, "late")])) === "late") child.kill("SIGKILL");
}

async function servingOf(url: string, key: string, model: string) {
  const res = await fetch(`${url}/v1/models/${encodeURIComponent(model)}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  const body = (await res.json()) as {
    tailor?: { serving?: { engine: string; reason: string } | null };
  };
  return body.tailor?.serving ?? null;
}

/** One streamed request: its latency, time to first token and generated tokens. */
async function ask(client: OpenAI, model: string, prompt: string, maxTokens: number) {
  const started = performance.now();
  let first = 0;
  let tokens = 0;
  const stream = await client.chat.completions.create({
    model,
    messages: [{ role: "user", content: prompt }],
    temperature: 0,
    max_tokens: maxTokens,
    stream: true,
    stream_options: { include_usage: true },
  });
  for await (const chunk of stream) {
    if (!first && chunk.choices[0]?.delta.content) first = performance.now();
    if (chunk.usage) tokens = chunk.usage.completion_tokens;
  }
  const end = performance.now();
  return { latency: (end - started) / 1000, ttft: ((first || end) - started) / 1000, tokens };
}

export async function runLoad(s: LoadSettings): Promise<LoadResult> {
  const { child, url } = await startServe(s);
  try {
    const key = readLocalAdminKey(s.home) ?? "";
    const client = () => new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 });
    // warm up: the model loaded (and, for llama.cpp, its GGUF copy made) before the clock starts
    const warm = client();
    await ask(warm, s.model, "Hi", 4);
    let serving = await servingOf(url, key, s.model);
    const until = Date.now() + s.readyTimeoutMs;
    while (s.engine === "llama.cpp" && serving?.engine !== "llama.cpp" && Date.now() < until) {
      await sleep(2000);
      serving = await servingOf(url, key, s.model);
    }
    await ask(warm, s.model, "Hi", 4);
    s.say(`${s.engine} server on ${s.model}: ${serving?.engine ?? "?"} (${serving?.reason ?? ""})`);
    const latencies: number[] = [];
    const ttfts: number[] = [];
    const errors: string[] = [];
    let tokens = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: s.clients }, async (_, c) => {
        const mine = client();
        for (let i = 0; i < s.requests; i++) {
          try {
            const r = await ask(mine, s.model, s.prompts[c % s.prompts.length] ?? "", s.maxTokens);
            latencies.push(r.latency);
            ttfts.push(r.ttft);
            tokens += r.tokens;
          } catch (e) {
            errors.push(e instanceof Error ? e.message : String(e));
          }
        }
      }),
    );
    const wall = (performance.now() - started) / 1000;
    return {
      serving,
      requests: s.clients * s.requests,
      errors: errors.length,
      error_messages: [...new Set(errors)].slice(0, 5),
      completion_tokens: tokens,
      wall_seconds: wall,
      tokens_per_second: tokens / wall,
      latency_p50: percentile(latencies, 50),
      latency_p95: percentile(latencies, 95),
      ttft_p50: percentile(ttfts, 50),
      ttft_p95: percentile(ttfts, 95),
      server_peak_rss_mb: child.pid ? treePeakMb(child.pid) : Number.NaN,
    };
  } finally {
    await stop(child);
  }
}
