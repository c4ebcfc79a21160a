/** A queue of replies to one operation that a consumer awaits one at a time, abortably. */
export class Inbox<T> {
  readonly #items: T[] = [];
  #error: Error | undefined;
  #waiter: { resolve: (item: T | undefined) => void; reject: (e: Error) => void } | undefined;

  message(item: T): void {
    if (this.#waiter) {
      this.#waiter.resolve(item);
    } else {
      this.#items.push(item);
    }
  }

  /** Ends the operation: the consumer gets `error` next; unread partial replies are dropped. */
  fail(error: Error): void {
    this.#error = error;
    this.#items.length = 0;
    this.#waiter?.reject(error);
  }

  /** The next item; `undefined` once `signal` has aborted; rejects after `fail`. */
  next(signal?: AbortSignal): Promise<T | undefined> {
    if (signal?.aborted) return Promise.resolve(undefined);
    const item = this.#items.shift();
    if (item !== undefined) return Promise.resolve(item);
    if (this.#error) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => {
      const onAbort = () => settle(() => resolve(undefined));
      const settle = (then: () => void) => {
        this.#waiter = undefined;
        signal?.removeEventListener("abort", onAbort);
        then();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiter = {
        resolve: (value) => settle(() => resolve(value)),
        reject: (error) => settle(() => reject(error)),
      };
    });
  }
}
