/**
 * Classification requests to one classifier, batched: while the engine classifies for one request,
 * the requests that arrive for the same classifier wait and then go to the engine together as one
 * operation (up to `maxTexts` texts), each getting its own results back. Nothing waits on a timer:
 * a lone request goes at once.
 */
import type { EngineMessageOf } from "../../protocol/index.ts";
import { TailorError } from "../errors/index.ts";

/** One text's labels: every label with its score (highest first), the predicted ones, its tokens. */
export type Classification = EngineMessageOf<"classifications">["results"][number];

export interface ClassifyResult {
  /** One per input text, in input order. */
  results: Classification[];
  multi_label: boolean;
  /** A multi-label classifier's cut-off: labels scoring at least this are predicted. */
  threshold: number;
  prompt_tokens: number;
}

/** Sends one classify operation to the engine. */
export type ClassifyOnce = (
  modelDir: string,
  input: string[],
  signal: AbortSignal,
) => Promise<ClassifyResult>;

interface Waiter {
  input: string[];
  signal: AbortSignal | undefined;
  settled: boolean;
  resolve(result: ClassifyResult): void;
  reject(error: Error): void;
}

/** The requests of one classifier: at most one operation in flight, the others waiting. */
interface Lane {
  busy: boolean;
  waiting: Waiter[];
}

export class ClassifyBatcher {
  readonly #lanes = new Map<string, Lane>();
  readonly #send: ClassifyOnce;
  readonly #maxTexts: number;

  constructor(send: ClassifyOnce, maxTexts = 2048) {
    this.#send = send;
    this.#maxTexts = maxTexts;
  }

  /** Labels for `input` (at least one text) from the classifier in `modelDir`. */
  classify(modelDir: string, input: string[], signal?: AbortSignal): Promise<ClassifyResult> {
    if (input.length === 0) {
      return Promise.reject(
        new TailorError({
          code: "invalid_argument",
          message: "nothing to classify: give at least one text",
          details: { field: "input" },
        }),
      );
    }
    if (signal?.aborted) return Promise.reject(cancelled());
    return new Promise<ClassifyResult>((resolve, reject) => {
      const lane = this.#lane(modelDir);
      const waiter: Waiter = {
        input,
        signal,
        settled: false,
        resolve: (r) => settle(() => resolve(r)),
        reject: (e) => settle(() => reject(e)),
      };
      const onAbort = () => {
        const at = lane.waiting.indexOf(waiter);
        if (at >= 0) lane.waiting.splice(at, 1);
        waiter.reject(cancelled());
      };
      const settle = (then: () => void) => {
        if (waiter.settled) return;
        waiter.settled = true;
        signal?.removeEventListener("abort", onAbort);
        then();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      lane.waiting.push(waiter);
      void this.#pump(modelDir, lane);
    });
  }

  #lane(modelDir: string): Lane {
    let lane = this.#lanes.get(modelDir);
    if (!lane) {
      lane = { busy: false, waiting: [] };
      this.#lanes.set(modelDir, lane);
    }
    return lane;
  }

  /** Sends what waits (as much as one operation may carry), and again when that is answered. */
  async #pump(modelDir: string, lane: Lane): Promise<void> {
    if (lane.busy) return;
    const batch = this.#take(lane);
    if (batch.length === 0) {
      if (this.#lanes.get(modelDir) === lane) this.#lanes.delete(modelDir);
      return;
    }
    lane.busy = true;
    // the engine stops working on the batch only when every request in it has gone
    const stop = new AbortController();
    const gone = () => {
      if (batch.every((w) => w.settled)) stop.abort();
    };
    for (const w of batch) w.signal?.addEventListener("abort", gone, { once: true });
    try {
      const out = await this.#send(
        modelDir,
        batch.flatMap((w) => w.input),
        stop.signal,
      );
      let at = 0;
      for (const w of batch) {
        const results = out.results.slice(at, at + w.input.length);
        at += w.input.length;
        w.resolve({
          results,
          multi_label: out.multi_label,
          threshold: out.threshold,
          prompt_tokens: results.reduce((sum, r) => sum + r.tokens, 0),
        });
      }
    } catch (e) {
      for (const w of batch) w.reject(e as Error);
    } finally {
      for (const w of batch) w.signal?.removeEventListener("abort", gone);
      lane.busy = false;
      void this.#pump(modelDir, lane);
    }
  }

  /** The first waiting requests whose texts fit in one operation (always at least one). */
  #take(lane: Lane): Waiter[] {
    const batch: Waiter[] = [];
    let texts = 0;
    while (lane.waiting.length > 0) {
      const next = lane.waiting[0] as Waiter;
      if (batch.length > 0 && texts + next.input.length > this.#maxTexts) break;
      lane.waiting.shift();
      batch.push(next);
      texts += next.input.length;
    }
    return batch;
  }
}

function cancelled(): TailorError {
  return new TailorError({ code: "cancelled", message: "classify was cancelled" });
}
