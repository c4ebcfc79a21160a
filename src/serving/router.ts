/**
 * Which engine answers each chat request. llama.cpp answers when the model has a GGUF copy ready
 * (gguf-cache.ts) and the request is one llama.cpp can answer (`LlamaChatEngine.unsupported`);
 * everything else goes to the PyTorch engine: a model whose copy is still being made (the first
 * request starts making it), one that cannot be exported, requests llama.cpp cannot answer, and all
 * chat when llama.cpp is off. If llama.cpp cannot load a copy, the request is answered by PyTorch and
 * the copy is not tried again by this server. Embeddings, classification and names never come here:
 * they stay on the PyTorch engine.
 */
import { basename } from "node:path";
import type { ModelSource } from "../../protocol/index.ts";
import { isTailorError } from "../errors/index.ts";
import type { ChatEngine, ServingInfo } from "./chat-engine.ts";
import { type GgufCache, type ModelCopy, writesAnswers } from "./gguf-cache.ts";
import type { CountTokensRequest, GenerateEvent, GenerateRequest } from "./inference.ts";
import type { LlamaChatEngine } from "./llama/types.ts";

export interface ServingRouterOptions {
  /** The PyTorch engine (not closed by the router: embeddings and classification use it too). */
  inference: ChatEngine;
  /** llama.cpp and the GGUF copies it answers from; null: off, for `off`'s reason. */
  llama: { engine: LlamaChatEngine; copies: GgufCache } | null;
  /** Why llama.cpp is off (when `llama` is null), in words. */
  off?: string | undefined;
  log?: ((line: string) => void) | undefined;
}

/** A model as `info` takes it (the registry's ResolvedModel). */
export interface ServedModel {
  name: string;
  source: ModelSource;
  adapterDir?: string | undefined;
}

type Opts = { signal?: AbortSignal | undefined; stream?: boolean | undefined };

/** Errors of loading a copy (not of one request): the copy is not used again. */
const CANNOT_LOAD = new Set(["model_corrupt", "model_not_found", "engine_not_installed"]);
/** Errors after which the request is still answered, by PyTorch. */
const FALLS_BACK = new Set([...CANNOT_LOAD, "engine_crashed", "internal"]);

export class ServingRouter implements ChatEngine {
  readonly #inference: ChatEngine;
  readonly #llama: ServingRouterOptions["llama"];
  readonly #off: string;
  readonly #log: (line: string) => void;
  /** Copies llama.cpp could not load, and why. */
  readonly #broken = new Map<string, string>();

  constructor(opts: ServingRouterOptions) {
    this.#inference = opts.inference;
    this.#llama = opts.llama;
    this.#off = opts.off ?? "llama.cpp is off on this server";
    this.#log = opts.log ?? (() => {});
  }

  async *generate(req: GenerateRequest, opts: Opts = {}): AsyncGenerator<GenerateEvent, void> {
    const gguf = await this.#route(req);
    if (gguf !== null && this.#llama) {
      let answered = false;
      try {
        for await (const ev of this.#llama.engine.generate(gguf, req, opts)) {
          answered = true;
          yield ev;
        }
        return;
      } catch (e) {
        if (answered || opts.signal?.aborted || !this.#fallsBack(gguf, e)) throw e;
      }
    }
    yield* this.#inference.generate(req, opts);
  }

  async countTokens(
    req: CountTokensRequest,
    opts: { signal?: AbortSignal | undefined } = {},
  ): Promise<number> {
    const { base, adapterDir, messages, tools } = req;
    const gguf = await this.#route({ base, adapterDir, messages, ...(tools ? { tools } : {}) });
    if (gguf !== null && this.#llama) {
      try {
        return await this.#llama.engine.countTokens(gguf, req, opts);
      } catch (e) {
        if (opts.signal?.aborted || !this.#fallsBack(gguf, e)) throw e;
      }
    }
    return this.#inference.countTokens(req, opts);
  }

  /**
   * Which engine answers the model's chat requests now, and why (for `GET /v1/models`); null for a
   * model that does not write answers. Asking does not start making a copy.
   */
  async info(model: ServedModel): Promise<ServingInfo | null> {
    if (!model.adapterDir && !writesAnswers(model.source)) return null;
    if (!this.#llama) {
      return { engine: "pytorch", reason: `${this.#off}: the PyTorch engine answers` };
    }
    const copy = await this.#llama.copies.copyOf(model);
    if (copy.state === "ready") {
      const broken = this.#broken.get(copy.path);
      if (broken === undefined) {
        return {
          engine: "llama.cpp",
          reason: `${copy.reason}, served by llama.cpp (requests it cannot answer, such as those offering functions, go to the PyTorch engine)`,
          gguf: copy.path,
        };
      }
      return {
        engine: "pytorch",
        reason: `llama.cpp could not load ${copy.path} (${broken}): the PyTorch engine answers`,
      };
    }
    const until = ["not_built", "queued", "building"].includes(copy.state) ? " until then" : "";
    return { engine: "pytorch", reason: `${copy.reason}: the PyTorch engine answers${until}` };
  }

  /** Stops llama.cpp and any export under way (the PyTorch engine is its owner's to close). */
  async close(): Promise<void> {
    await this.#llama?.copies.close();
    await this.#llama?.engine.close();
  }

  /** The GGUF file llama.cpp should answer this request from, or null for PyTorch. */
  async #route(req: GenerateRequest): Promise<string | null> {
    if (!this.#llama || this.#llama.engine.unsupported(req) !== null) return null;
    const copy = await this.#llama.copies.copyOf(copyOf(req), { build: true });
    if (copy.state !== "ready" || this.#broken.has(copy.path)) return null;
    return copy.path;
  }

  /** Whether an error of llama.cpp leaves the request to PyTorch (and the copy unused if broken). */
  #fallsBack(gguf: string, e: unknown): boolean {
    const code = isTailorError(e) ? e.code : "internal";
    if (!FALLS_BACK.has(code)) return false;
    const why = (e as Error).message?.split("\n")[0] ?? String(e);
    if (CANNOT_LOAD.has(code)) this.#broken.set(gguf, why);
    this.#log(`llama.cpp failed on ${gguf} (${why}); the PyTorch engine answers`);
    return true;
  }
}

/** The cache's view of a request: its weights, named by its adapter's folder or its base. */
function copyOf(req: GenerateRequest): ModelCopy {
  const { base, adapterDir } = req;
  const name = adapterDir ? basename(adapterDir) : base.kind === "builtin" ? base.name : "model";
  return { name, source: base, ...(adapterDir ? { adapterDir } : {}) };
}

/** Chat on the PyTorch engine alone, as a context's `chat` and `serving` (hand-made contexts). */
export function pytorchChat(
  inference: ChatEngine,
  off?: string,
): { chat: ServingRouter; serving: ServingRouter } {
  const serving = new ServingRouter({ inference, llama: null, off });
  return { chat: serving, serving };
}
