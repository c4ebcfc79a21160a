/**
 * Names in personal data: the port the PII check reads names through (a NameFinder), and its
 * implementation over the engine's named-entity model (serve's `find_names`: spaCy's English NER).
 * A domain that checks for personal data takes a NameFinder, not the engine; unit tests may give a
 * stand-in. The CLI and the server always give the engine's: names are never skipped there.
 */
import type { NameKind, NameSpan } from "../../protocol/index.ts";

export { NAME_KINDS, type NameKind, type NameSpan } from "../../protocol/index.ts";

export interface FindNamesOptions {
  /** What to find (default people only). */
  kinds?: readonly NameKind[] | undefined;
  signal?: AbortSignal | undefined;
}

/** Finds names: one list per text, in text order, offsets in UTF-16 code units (JavaScript's). */
export interface NameFinder {
  findNames(texts: string[], opts?: FindNamesOptions): Promise<NameSpan[][]>;
}

/** What runs the model: the inference engine (InferenceEngine.findNames has this shape). */
export interface NameEngine {
  findNames(
    input: string[],
    opts?: { kinds?: NameKind[] | undefined; signal?: AbortSignal | undefined },
  ): Promise<NameSpan[][]>;
}

export interface EngineNameFinderOptions {
  /** Texts per engine operation (default 512; the operation takes at most 4096). */
  batch?: number;
  /** Recent texts whose names are kept (default 8192; texts over 4096 characters are not). */
  cacheSize?: number;
}

const NO_LETTERS = /^[^\p{L}]*$/u;

/**
 * Names from the engine, in batches: each distinct text goes to the engine once per call, and the
 * answers for recent texts are kept, so that redacting an example right after checking it does not
 * ask again. Texts without a letter are not sent.
 */
export class EngineNameFinder implements NameFinder {
  readonly #engine: NameEngine;
  readonly #batch: number;
  readonly #cacheSize: number;
  readonly #cache = new Map<string, NameSpan[]>();

  constructor(engine: NameEngine, opts: EngineNameFinderOptions = {}) {
    this.#engine = engine;
    this.#batch = Math.min(4096, Math.max(1, opts.batch ?? 512));
    this.#cacheSize = opts.cacheSize ?? 8192;
  }

  async findNames(texts: string[], opts: FindNamesOptions = {}): Promise<NameSpan[][]> {
    const kinds = [...new Set(opts.kinds ?? ["PERSON"])].sort() as NameKind[];
    const keyOf = (text: string) => `${kinds.join(",")}\u0000${text}`;
    const answers = new Map<string, NameSpan[]>();
    const todo: string[] = [];
    for (const text of texts) {
      const key = keyOf(text);
      if (answers.has(key)) continue;
      const known = this.#cache.get(key);
      if (known) {
        this.#cache.delete(key); // most recently used last
        this.#cache.set(key, known);
        answers.set(key, known);
      } else if (NO_LETTERS.test(text)) answers.set(key, []);
      else {
        answers.set(key, []);
        todo.push(text);
      }
    }
    for (let i = 0; i < todo.length; i += this.#batch) {
      const batch = todo.slice(i, i + this.#batch);
      const results = await this.#engine.findNames(batch, { kinds, signal: opts.signal });
      batch.forEach((text, j) => {
        const found = results[j] ?? [];
        answers.set(keyOf(text), found);
        this.#remember(keyOf(text), text, found);
      });
    }
    return texts.map((text) => answers.get(keyOf(text)) ?? []);
  }

  #remember(key: string, text: string, found: NameSpan[]): void {
    if (text.length > 4096 || this.#cacheSize === 0) return;
    this.#cache.set(key, found);
    while (this.#cache.size > this.#cacheSize) {
      const oldest = this.#cache.keys().next().value;
      if (oldest === undefined) break;
      this.#cache.delete(oldest);
    }
  }
}
