/**
 * The general set answered by a tuned model and its base, greedily and in batches through the same
 * generation as `tailor eval` (evaluate()), and each answer checked. The base's answers are kept in
 * a cache (TAILOR_HOME/cache/general-set) keyed by the base model's identity, the set's content and
 * the settings, so that testing many models tuned from one base asks the base once.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { ForgettingCheck, GeneralItemResult } from "../../../protocol/forgetting.ts";
import type { ModelSource } from "../../../protocol/index.ts";
import { type EvalExample, type EvalModel, evaluate } from "../evaluate.ts";
import { describeCheck, passes } from "./checkers.ts";
import { GENERAL_MAX_TOKENS, type GeneralSet, generalSet } from "./set.ts";
import { forgettingCheck } from "./verdict.ts";

export interface GeneralSetOptions {
  /** The tuned model. */
  model: EvalModel;
  /** The base it was tuned from. */
  base: EvalModel;
  /** Where the base's answers are kept between runs (null: not kept). */
  cacheDir: string | null;
  batchSize?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Answers generated so far, and how many there will be. */
  onProgress?: ((done: number, total: number) => void) | undefined;
  /** Another set (tests); default: the one that ships with Tailor. */
  set?: GeneralSet | undefined;
}

export async function runGeneralSet(opts: GeneralSetOptions): Promise<ForgettingCheck> {
  const set = opts.set ?? generalSet();
  const batchSize = opts.batchSize ?? 8;
  const maxTokens = GENERAL_MAX_TOKENS;
  const key = cacheKey(set, opts.base, maxTokens, batchSize);
  const file = key && opts.cacheDir ? join(opts.cacheDir, `${key}.json`) : null;
  const cached = file ? readCached(file, set) : null;
  const examples: EvalExample[] = set.items.map((item, i) => ({
    line: i + 1,
    messages: [{ role: "user", content: item.prompt }],
    expected: describeCheck(item.check),
  }));
  const report = await evaluate({
    model: opts.model,
    compare: cached ? undefined : opts.base,
    examples,
    source: set.name,
    maxTokens,
    batchSize,
    signal: opts.signal,
    onProgress: opts.onProgress,
  });
  const tuned = report.examples.map((e) => e.outputs[0] ?? "");
  const base = cached ?? report.examples.map((e) => e.outputs[1] ?? "");
  if (file && !cached) writeCached(file, set, opts.base, base);
  const results: GeneralItemResult[] = set.items.map((item, i) => {
    const b = base[i] ?? "";
    const m = tuned[i] ?? "";
    return {
      id: item.id,
      category: item.category,
      prompt: item.prompt,
      expected: describeCheck(item.check),
      base_output: b,
      model_output: m,
      base_correct: passes(item.check, b),
      model_correct: passes(item.check, m),
    };
  });
  return forgettingCheck(set.name, results, {
    max_tokens: maxTokens,
    batch_size: batchSize,
    base_cached: cached !== null,
  });
}

/**
 * What makes a base model's weights this one: a built-in's or a Hub repository's name (and
 * revision), or a file's or folder's path with its files' sizes and times; null when it cannot be
 * read (then nothing is cached).
 */
export function baseIdentity(source: ModelSource): string | null {
  try {
    if (source.kind === "builtin") return `builtin:${source.name}`;
    if (source.kind === "hub") return `hub:${source.repo_id}@${source.revision ?? "main"}`;
    const stamp = (p: string) => {
      const s = statSync(p);
      return `${s.size}:${Math.round(s.mtimeMs)}`;
    };
    if (source.kind === "gguf") return `gguf:${source.path}:${stamp(source.path)}`;
    const files = readdirSync(source.path)
      .filter((f) => /\.(safetensors|bin|gguf|json|model)$/.test(f))
      .sort()
      .map((f) => `${f}=${stamp(join(source.path, f))}`);
    return `hf_dir:${source.path}:${files.join(",")}`;
  } catch {
    return null;
  }
}

function cacheKey(set: GeneralSet, base: EvalModel, maxTokens: number, batchSize: number) {
  const identity = baseIdentity(base.source);
  // a base given with an adapter is not the bare base: its answers are not shared
  if (identity === null || base.adapterDir) return null;
  const key = JSON.stringify({ set: set.sha256, identity, maxTokens, batchSize, greedy: true });
  return createHash("sha256").update(key).digest("hex").slice(0, 32);
}

const Cached = z.object({
  set: z.string(),
  set_sha256: z.string(),
  base: z.string(),
  answers: z.record(z.string(), z.string()),
  created_at: z.number(),
});

/** The base's answers in the set's order, or null when the file is missing, unreadable or stale. */
function readCached(file: string, set: GeneralSet): string[] | null {
  try {
    const c = Cached.parse(JSON.parse(readFileSync(file, "utf8")));
    if (c.set_sha256 !== set.sha256) return null;
    const answers = set.items.map((item) => c.answers[item.id]);
    return answers.every((a) => a !== undefined) ? (answers as string[]) : null;
  } catch {
    return null; // missing or damaged: ask the base again
  }
}

/** Written whole or not at all (another run may write the same key at the same time). */
function writeCached(file: string, set: GeneralSet, base: EvalModel, answers: string[]): void {
  const entry = {
    set: set.name,
    set_sha256: set.sha256,
    base: base.name,
    answers: Object.fromEntries(set.items.map((item, i) => [item.id, answers[i] ?? ""])),
    created_at: Math.floor(Date.now() / 1000),
  };
  try {
    mkdirSync(join(file, ".."), { recursive: true });
    const tmp = `${file}.${randomBytes(4).toString("hex")}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(entry, null, 2)}\n`);
    renameSync(tmp, file);
  } catch {
    // a cache that cannot be written only costs the next run the base's answers
  }
}

/** Where a Tailor home keeps the base models' answers to the set. */
export function generalSetCacheDir(home: string): string {
  return join(home, "cache", "general-set");
}
