/**
 * The moderation model over an engine's `embed` operation: each text cut into windows, the windows
 * embedded with all-MiniLM-L6-v2, every category's probe applied to each window, each category
 * taking its highest window. Requests that arrive while the engine embeds for another wait and go
 * to it together as one operation (no timer: a lone request goes at once).
 */
import type { ModerationResult } from "../../../protocol/moderation.ts";
import { TailorError } from "../../errors/index.ts";
import {
  combineWindows,
  type Head,
  MODERATION_MODEL,
  readHead,
  scoreEmbedding,
  toResult,
} from "./head.ts";
import type { Moderator } from "./port.ts";
import { windows } from "./windows.ts";

/** What computes sentence embeddings (the inference engine has this shape). */
export interface Embedder {
  embed(
    input: string[],
    opts?: { model?: string | undefined; signal?: AbortSignal | undefined },
  ): Promise<{ data: number[][] }>;
}

export interface EngineModeratorOptions {
  /** The head (default: the shipped model/head.json, read on first use). */
  head?: Head;
  /** Windows per embed operation (default 512). */
  maxWindows?: number;
}

interface Waiter {
  windows: string[];
  signal: AbortSignal | undefined;
  settled: boolean;
  resolve(vectors: number[][]): void;
  reject(error: Error): void;
}

export class EngineModerator implements Moderator {
  readonly model = MODERATION_MODEL;
  readonly #embedder: Embedder;
  readonly #maxWindows: number;
  #head: Head | undefined;
  #busy = false;
  readonly #waiting: Waiter[] = [];

  constructor(embedder: Embedder, opts: EngineModeratorOptions = {}) {
    this.#embedder = embedder;
    this.#head = opts.head;
    this.#maxWindows = opts.maxWindows ?? 512;
  }

  /** The head in use (read from model/head.json on first use). */
  get head(): Head {
    this.#head ??= readHead();
    return this.#head;
  }

  async moderate(
    texts: string[],
    opts: { signal?: AbortSignal; threshold?: number } = {},
  ): Promise<ModerationResult[]> {
    if (texts.length === 0) return [];
    const head = this.head;
    const perText = texts.map((t) => windows(t, head.file.window));
    const vectors = await this.#embed(perText.flat(), opts.signal);
    let at = 0;
    return perText.map((ws) => {
      const scores = ws.map(() => scoreEmbedding(head, vectors[at++] as number[]));
      return toResult(combineWindows(scores), opts.threshold);
    });
  }

  #embed(input: string[], signal: AbortSignal | undefined): Promise<number[][]> {
    if (signal?.aborted) return Promise.reject(cancelled());
    return new Promise<number[][]>((resolve, reject) => {
      const waiter: Waiter = {
        windows: input,
        signal,
        settled: false,
        resolve: (v) => settle(() => resolve(v)),
        reject: (e) => settle(() => reject(e)),
      };
      const onAbort = () => {
        const at = this.#waiting.indexOf(waiter);
        if (at >= 0) this.#waiting.splice(at, 1);
        waiter.reject(cancelled());
      };
      const settle = (then: () => void) => {
        if (waiter.settled) return;
        waiter.settled = true;
        signal?.removeEventListener("abort", onAbort);
        then();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiting.push(waiter);
      void this.#pump();
    });
  }

  /** Sends what waits (as much as one operation may carry), and again when that is answered. */
  async #pump(): Promise<void> {
    if (this.#busy) return;
    const batch: Waiter[] = [];
    let count = 0;
    while (this.#waiting.length > 0) {
      const next = this.#waiting[0] as Waiter;
      if (batch.length > 0 && count + next.windows.length > this.#maxWindows) break;
      this.#waiting.shift();
      batch.push(next);
      count += next.windows.length;
    }
    if (batch.length === 0) return;
    this.#busy = true;
    // the engine stops only when every request in the batch has gone
    const stop = new AbortController();
    const gone = () => {
      if (batch.every((w) => w.settled)) stop.abort();
    };
    for (const w of batch) w.signal?.addEventListener("abort", gone, { once: true });
    try {
      const { data } = await this.#embedder.embed(
        batch.flatMap((w) => w.windows),
        { signal: stop.signal },
      );
      let at = 0;
      for (const w of batch) {
        w.resolve(data.slice(at, at + w.windows.length));
        at += w.windows.length;
      }
    } catch (e) {
      for (const w of batch) w.reject(e as Error);
    } finally {
      for (const w of batch) w.signal?.removeEventListener("abort", gone);
      this.#busy = false;
      void this.#pump();
    }
  }
}

function cancelled(): TailorError {
  return new TailorError({ code: "cancelled", message: "moderation was cancelled" });
}
