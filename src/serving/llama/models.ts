/**
 * GGUF models loaded on first use and kept: one llama.cpp context per model with `sequences`
 * sequences (node-llama-cpp evaluates the sequences of one context together, in one batch), at
 * most `maxModels` of them, the least recently used one unloaded once nobody uses it. Loading is
 * serialized (one model read into memory at a time); requests for a model that is loading wait for
 * that load.
 *
 * llama.cpp runs on the CPU with explicit threads, never building itself: with node-llama-cpp's
 * default thread settings generation hung on a 2-core machine.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import {
  getLlama,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  LlamaLogLevel,
  type LlamaModel,
} from "node-llama-cpp";
import { TailorError } from "../../errors/index.ts";
import { Grammars } from "./grammar.ts";
import { ChatPrompt } from "./prompt.ts";
import { Slots } from "./slots.ts";

/** Tokens each sequence holds at most (prompt and answer), below the model's own limit. */
export const MAX_CONTEXT = 4096;

export interface ModelPoolOptions {
  threads: number;
  sequences: number;
  maxQueue: number;
  maxModels: number;
  onLog?: ((line: string) => void) | undefined;
}

export interface LoadedModel {
  file: string;
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  prompt: ChatPrompt;
  grammars: Grammars;
  slots: Slots<LlamaContextSequence>;
  /** Generations and counts using it now (running or waiting): it is not unloaded while any are. */
  users: number;
  lastUsed: number;
}

export class ModelPool {
  readonly #opts: ModelPoolOptions;
  #llama: Promise<Llama> | undefined;
  readonly #models = new Map<string, Promise<LoadedModel>>();
  readonly #ready = new Map<string, LoadedModel>();
  #loads: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(opts: ModelPoolOptions) {
    this.#opts = opts;
  }

  /** The model in `gguf`, loaded if it is not; release() it when done. */
  async acquire(gguf: string): Promise<LoadedModel> {
    const file = resolve(gguf);
    for (;;) {
      if (this.#closed) {
        throw new TailorError({ code: "cancelled", message: "the llama.cpp engine is closed" });
      }
      let loading = this.#models.get(file);
      if (loading === undefined) {
        loading = this.#serialized(() => this.#load(file));
        this.#models.set(file, loading);
        loading.then(
          (loaded) => {
            this.#ready.set(file, loaded);
            this.#evict(loaded);
          },
          () => this.#models.delete(file),
        );
      }
      const loaded = await loading;
      if (this.#ready.get(file) !== loaded) continue; // unloaded meanwhile: load it again
      loaded.users++;
      loaded.lastUsed = Date.now();
      return loaded;
    }
  }

  release(loaded: LoadedModel): void {
    loaded.users--;
    loaded.lastUsed = Date.now();
    this.#evict();
  }

  /** The llama.cpp binding, started once. */
  llama(): Promise<Llama> {
    this.#llama ??= getLlama({
      gpu: false,
      build: "never",
      maxThreads: this.#opts.threads,
      logLevel: LlamaLogLevel.warn,
      logger: (_level, message) => this.#opts.onLog?.(message.trimEnd()),
    }).catch((e: unknown) => {
      this.#llama = undefined;
      throw new TailorError({
        code: "engine_not_installed",
        message: `llama.cpp (node-llama-cpp's prebuilt CPU binary) did not start: ${errorText(e)}; run \`npm install\` again`,
        cause: e,
      });
    });
    return this.#llama;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const loaded = [...this.#models.values()];
    this.#models.clear();
    this.#ready.clear();
    for (const entry of await Promise.allSettled(loaded)) {
      if (entry.status === "fulfilled") await unload(entry.value);
    }
    const llama = this.#llama;
    this.#llama = undefined;
    if (llama !== undefined) await (await llama.catch(() => undefined))?.dispose();
  }

  #serialized<T>(run: () => Promise<T>): Promise<T> {
    const next = this.#loads.then(run, run);
    this.#loads = next.catch(() => undefined);
    return next;
  }

  async #load(file: string): Promise<LoadedModel> {
    if (!existsSync(file)) {
      throw new TailorError({
        code: "model_not_found",
        message: `GGUF file ${file} does not exist; export the model to GGUF again`,
        details: { file },
      });
    }
    const llama = await this.llama();
    this.#opts.onLog?.(`llama.cpp: loading ${file}`);
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
    } catch (e) {
      throw new TailorError({
        code: "model_corrupt",
        message: `llama.cpp could not load the GGUF file ${file}: ${errorText(e)}; export the model again, or serve it with the PyTorch engine`,
        cause: e,
        details: { file },
      });
    }
    try {
      const context = await model.createContext({
        sequences: this.#opts.sequences,
        contextSize: Math.min(model.trainContextSize || MAX_CONTEXT, MAX_CONTEXT),
        threads: this.#opts.threads,
        failedCreationRemedy: false,
      });
      const sequences = Array.from({ length: this.#opts.sequences }, () => context.getSequence());
      return {
        file,
        llama,
        model,
        context,
        prompt: new ChatPrompt(model, file),
        grammars: new Grammars(llama),
        slots: new Slots(sequences, this.#opts.maxQueue, `the llama.cpp model ${file}`),
        users: 0,
        lastUsed: Date.now(),
      };
    } catch (e) {
      await model.dispose().catch(() => undefined);
      if (e instanceof TailorError) throw e;
      throw new TailorError({
        code: "out_of_memory",
        message: `llama.cpp could not make a context of ${this.#opts.sequences} sequences for ${file}: ${errorText(e)}`,
        cause: e,
        details: { file },
      });
    }
  }

  /** Unloads the least recently used models nobody uses while more than maxModels are loaded. */
  #evict(keep?: LoadedModel): void {
    while (this.#ready.size > this.#opts.maxModels) {
      const idle = [...this.#ready.values()].filter((m) => m.users === 0 && m !== keep);
      const victim = idle.sort((a, b) => a.lastUsed - b.lastUsed)[0];
      if (victim === undefined) return; // all in use: unloaded when one is released
      this.#ready.delete(victim.file);
      this.#models.delete(victim.file);
      this.#opts.onLog?.(`llama.cpp: unloading ${victim.file} (least recently used)`);
      void unload(victim);
    }
  }
}

async function unload(loaded: LoadedModel): Promise<void> {
  loaded.slots.failWaiting(
    new TailorError({
      code: "cancelled",
      message: `the llama.cpp model ${loaded.file} was unloaded`,
    }),
  );
  await loaded.context.dispose().catch(() => undefined);
  await loaded.model.dispose().catch(() => undefined);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
