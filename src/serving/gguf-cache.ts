/**
 * Each chat model's GGUF copy, the file llama.cpp answers from:
 * - the built-in SmolLM2: the package's own GGUF file (the PyTorch engine dequantizes the same file),
 *   found where the engine finds it;
 * - a base of kind `gguf`: that file;
 * - anything else (a fine-tuned model, a Hugging Face folder or Hub base): exported once to f16 GGUF
 *   by the engine's `export` command, in the background, into TAILOR_HOME/cache/gguf/<key>.gguf, the
 *   key a hash of the base and the adapter's files (gguf-key.ts), so a changed adapter is exported
 *   again. One export runs at a time; others wait in order. A failed export is remembered with its
 *   reason (on disk, unless the failure was the machine's: a crash, memory, a cancel) and not tried
 *   again until the key changes.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  BUILTIN_MODELS,
  type BuiltinModelName,
  type ExportRequest,
  type ModelSource,
} from "../../protocol/index.ts";
import { ENGINE_DIR, enginePython, engineResult } from "../engine/index.ts";
import { isTailorError } from "../errors/index.ts";
import { type CopyOf, GgufKeys } from "./gguf-key.ts";

/** How exported copies store their weights: exactly as trained (f16), so answers match PyTorch's. */
export const COPY_QUANTIZATION = "f16";

export type GgufCopy =
  | { state: "ready"; path: string; reason: string }
  | { state: "not_built" | "queued" | "building" | "failed" | "none"; reason: string };

/** Writes the GGUF file `req.out` (the engine's `export` command). */
export type ExportGguf = (req: ExportRequest, signal: AbortSignal) => Promise<void>;
/** The file of a built-in model inside its package, or null when the package is missing. */
export type FindBuiltin = (name: BuiltinModelName) => Promise<string | null>;

export interface GgufCacheOptions {
  /** TAILOR_HOME: copies go to its cache/gguf/. */
  home: string;
  exportGguf?: ExportGguf | undefined;
  findBuiltin?: FindBuiltin | undefined;
  log?: ((line: string) => void) | undefined;
}

/** A model as the cache needs it: its base, adapter and a name for the GGUF's metadata. */
export interface ModelCopy extends CopyOf {
  name: string;
}

/** What a copy is of: its adapter, or its base when it has none (a later copy replaces it). */
const identity = (m: CopyOf): string => m.adapterDir ?? JSON.stringify(m.source);

interface Build {
  key: string;
  model: ModelCopy;
  state: "queued" | "building";
  since: number;
}

/** Failures of the machine rather than of the model: not remembered across restarts. */
const PASSING = new Set(["cancelled", "engine_crashed", "out_of_memory", "engine_not_installed"]);

export class GgufCache {
  readonly dir: string;
  readonly #opts: GgufCacheOptions;
  readonly #keys = new GgufKeys();
  readonly #builds = new Map<string, Build>();
  readonly #queue: Build[] = [];
  readonly #failed = new Map<string, string>();
  readonly #builtins = new Map<string, Promise<string | null>>();
  readonly #abort = new AbortController();
  #running: Promise<void> | null = null;

  constructor(opts: GgufCacheOptions) {
    this.#opts = opts;
    this.dir = join(opts.home, "cache", "gguf");
  }

  /** The model's GGUF copy now, or why there is none; `build` starts exporting one if needed. */
  async copyOf(model: ModelCopy, opts: { build?: boolean } = {}): Promise<GgufCopy> {
    const { source } = model;
    if (!model.adapterDir && source.kind === "builtin") return this.#builtinCopy(source.name);
    if (!model.adapterDir && source.kind === "gguf") {
      return existsSync(source.path)
        ? { state: "ready", path: source.path, reason: "its own GGUF file" }
        : { state: "failed", reason: `its GGUF file ${source.path} does not exist` };
    }
    let key: string;
    try {
      key = this.#keys.key(model, COPY_QUANTIZATION);
    } catch (e) {
      return { state: "failed", reason: `its files could not be read (${(e as Error).message})` };
    }
    const path = this.#path(key);
    if (existsSync(path)) {
      return { state: "ready", path, reason: `exported to GGUF (${COPY_QUANTIZATION})` };
    }
    const failed = this.#failedReason(key);
    if (failed !== null) {
      return { state: "failed", reason: `its llama.cpp copy could not be made: ${failed}` };
    }
    const build = this.#builds.get(key);
    if (build) return describe(build);
    if (!opts.build || this.#abort.signal.aborted) {
      return { state: "not_built", reason: "its llama.cpp copy is made on its first chat request" };
    }
    const queued: Build = { key, model, state: "queued", since: Date.now() };
    this.#builds.set(key, queued);
    this.#queue.push(queued);
    this.#next();
    return describe(queued);
  }

  /** Stops an export under way; waiting ones are dropped. */
  async close(): Promise<void> {
    this.#abort.abort();
    this.#queue.length = 0;
    await this.#running;
  }

  #path(key: string): string {
    return join(this.dir, `${key}.gguf`);
  }

  async #builtinCopy(name: string): Promise<GgufCopy> {
    const meta = BUILTIN_MODELS[name as BuiltinModelName];
    if (!meta || !writesAnswers({ kind: "builtin", name })) {
      return { state: "none", reason: `${name} does not write answers` };
    }
    let found = this.#builtins.get(name);
    if (!found) {
      found = (this.#opts.findBuiltin ?? findBuiltin)(name as BuiltinModelName).catch(() => null);
      this.#builtins.set(name, found);
    }
    const path = await found;
    if (!path) {
      this.#builtins.delete(name); // found on a later request once the package is installed
      return {
        state: "failed",
        reason: `the built-in GGUF file was not found (the Python package ${meta.package.replaceAll("_", "-")}; run npm install)`,
      };
    }
    return { state: "ready", path, reason: `the built-in GGUF file ${meta.file}` };
  }

  #failedReason(key: string): string | null {
    const known = this.#failed.get(key);
    if (known !== undefined) return known;
    const file = join(this.dir, `${key}.failed.json`);
    if (!existsSync(file)) return null;
    try {
      const reason = (JSON.parse(readFileSync(file, "utf8")) as { reason?: unknown }).reason;
      return typeof reason === "string" ? reason : "the export failed";
    } catch {
      return "the export failed";
    }
  }

  #next(): void {
    if (this.#running) return;
    const build = this.#queue.shift();
    if (!build) return;
    this.#running = this.#build(build).finally(() => {
      this.#builds.delete(build.key);
      this.#running = null;
      this.#next();
    });
  }

  async #build(build: Build): Promise<void> {
    const { key, model } = build;
    const log = this.#opts.log ?? (() => {});
    build.state = "building";
    build.since = Date.now();
    log(`making the llama.cpp copy of ${model.name} (GGUF ${COPY_QUANTIZATION})`);
    try {
      mkdirSync(this.dir, { recursive: true });
      await (this.#opts.exportGguf ?? exportWithEngine(this.#opts))(
        {
          base: model.source,
          ...(model.adapterDir ? { adapter_dir: model.adapterDir } : {}),
          format: "gguf",
          quantization: COPY_QUANTIZATION,
          out: this.#path(key),
          model_name: model.name,
        },
        this.#abort.signal,
      );
      const seconds = (Date.now() - build.since) / 1000;
      writeFileSync(
        join(this.dir, `${key}.json`),
        `${JSON.stringify({ of: identity(model), name: model.name, seconds })}\n`,
      );
      this.#forgetOlder(key, model);
      log(`the llama.cpp copy of ${model.name} is ready (${seconds.toFixed(1)} s)`);
    } catch (e) {
      if (this.#abort.signal.aborted) return; // closing: neither made nor failed
      const reason = (e as Error).message.split("\n")[0] ?? String(e);
      this.#failed.set(key, reason);
      if (!(isTailorError(e) && PASSING.has(e.code))) {
        writeFileSync(join(this.dir, `${key}.failed.json`), `${JSON.stringify({ reason })}\n`);
      }
      log(`the llama.cpp copy of ${model.name} could not be made: ${reason}`);
    }
  }

  /** Deletes copies made earlier for the same model (its adapter has changed since). */
  #forgetOlder(key: string, model: ModelCopy): void {
    for (const name of readdirSync(this.dir)) {
      const other = name.endsWith(".json") && !name.endsWith(".failed.json") && name.slice(0, -5);
      if (!other || other === key) continue;
      try {
        const made = JSON.parse(readFileSync(join(this.dir, name), "utf8")) as { of?: unknown };
        if (made.of !== identity(model)) continue;
        rmSync(this.#path(other), { force: true });
        rmSync(join(this.dir, name), { force: true });
      } catch {
        // a copy being written by another server on this home, or unreadable: left alone
      }
    }
  }
}

/** False for a built-in that does not write answers (the sentence encoder classifiers start from). */
export function writesAnswers(source: ModelSource): boolean {
  if (source.kind !== "builtin") return true;
  return BUILTIN_MODELS[source.name as BuiltinModelName]?.file.endsWith(".gguf") ?? false;
}

function describe(build: Build): GgufCopy {
  if (build.state === "queued") {
    return { state: "queued", reason: "its llama.cpp copy waits for another model's to be made" };
  }
  const seconds = Math.round((Date.now() - build.since) / 1000);
  return {
    state: "building",
    reason: `the llama.cpp copy is being built (GGUF ${COPY_QUANTIZATION}, started ${seconds} s ago)`,
  };
}

/** The engine's export command, run in its own process. */
function exportWithEngine(opts: GgufCacheOptions): ExportGguf {
  return async (req, signal) => {
    await engineResult("export", req, "exported", {
      signal,
      env: { TAILOR_HOME: opts.home },
      ...(opts.log ? { onLog: (l: string) => opts.log?.(`[export] ${l}`) } : {}),
    });
  };
}

/** A built-in model's file, found as the engine finds it (the package's folder, not imported). */
const findBuiltin: FindBuiltin = async (name) => {
  const meta = BUILTIN_MODELS[name];
  const script =
    "import importlib.util, sys\n" +
    "s = importlib.util.find_spec(sys.argv[1])\n" +
    "print(list(s.submodule_search_locations)[0] if s and s.submodule_search_locations else '')";
  const { stdout } = await promisify(execFile)(enginePython(), ["-c", script, meta.package], {
    cwd: ENGINE_DIR,
    timeout: 30_000,
  });
  const dir = stdout.trim();
  const path = dir && join(dir, meta.file);
  return path && existsSync(path) ? path : null;
};
