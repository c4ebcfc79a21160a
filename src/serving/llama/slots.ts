/**
 * The sequences of one model's context, lent one per generation: a free one at once, otherwise a
 * place in a bounded first-in-first-out queue; one request more than the queue holds is refused with
 * `rate_limited` and a Retry-After estimated from how long generations take. A waiter whose signal
 * aborts leaves the queue.
 */
import { TailorError } from "../../errors/index.ts";

interface Waiter<T> {
  resolve: (item: T) => void;
  reject: (e: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

export class Slots<T> {
  readonly #free: T[];
  readonly #total: number;
  readonly #maxQueue: number;
  readonly #queue: Waiter<T>[] = [];
  readonly #what: string;
  /** Seconds a lease lasts, smoothed (a first guess until one is measured). */
  #leaseSeconds = 10;

  constructor(items: T[], maxQueue: number, what: string) {
    this.#free = [...items];
    this.#total = items.length;
    this.#maxQueue = maxQueue;
    this.#what = what;
  }

  /** Leases running now. */
  get busy(): number {
    return this.#total - this.#free.length;
  }

  /** Requests waiting for a sequence. */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * A free item, waiting in line for one if none is; resolves to undefined when the signal aborts
   * first. Throws `rate_limited` when the line is full.
   */
  acquire(signal?: AbortSignal): Promise<T | undefined> {
    if (signal?.aborted) return Promise.resolve(undefined);
    const free = this.#free.pop();
    if (free !== undefined) return Promise.resolve(free);
    if (this.#queue.length >= this.#maxQueue) {
      const retryAfterSeconds = this.retryAfterSeconds();
      return Promise.reject(
        new TailorError({
          code: "rate_limited",
          message: `${this.#what} is answering ${this.#total} requests and ${this.#queue.length} more are waiting, as many as it queues; try again in about ${retryAfterSeconds} s`,
          details: { retryAfterSeconds },
        }),
      );
    }
    return new Promise<T | undefined>((resolve, reject) => {
      const waiter: Waiter<T> = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const at = this.#queue.indexOf(waiter);
          if (at >= 0) this.#queue.splice(at, 1);
          resolve(undefined);
        },
      };
      signal?.addEventListener("abort", waiter.onAbort, { once: true });
      this.#queue.push(waiter);
    });
  }

  /** Gives an item back (to the first waiter, if any); `seconds` is how long it was held. */
  release(item: T, seconds?: number): void {
    if (seconds !== undefined) this.#leaseSeconds = 0.7 * this.#leaseSeconds + 0.3 * seconds;
    const next = this.#queue.shift();
    if (next === undefined) {
      this.#free.push(item);
      return;
    }
    next.signal?.removeEventListener("abort", next.onAbort);
    next.resolve(item);
  }

  /** Fails every waiter (the model is closing). */
  failWaiting(error: unknown): void {
    for (const waiter of this.#queue.splice(0)) {
      waiter.signal?.removeEventListener("abort", waiter.onAbort);
      waiter.reject(error);
    }
  }

  /** When a place in the queue is surely free: by then every running generation has ended. */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.#leaseSeconds));
  }
}
