/**
 * A stand-in NameFinder for unit tests of the code around names (no engine): it finds the names it
 * was given, as whole words, and counts what it was asked. The real one is EngineNameFinder.
 */
import type { FindNamesOptions, NameFinder, NameKind, NameSpan } from "../names.ts";

export class ListNameFinder implements NameFinder {
  readonly calls: string[][] = [];
  readonly #names: readonly (readonly [string, NameKind])[];

  constructor(names: readonly (string | readonly [string, NameKind])[]) {
    this.#names = names.map((n) => (typeof n === "string" ? ([n, "PERSON"] as const) : n));
  }

  async findNames(texts: string[], opts: FindNamesOptions = {}): Promise<NameSpan[][]> {
    this.calls.push(texts);
    const kinds = new Set(opts.kinds ?? ["PERSON"]);
    return texts.map((text) => {
      const found: NameSpan[] = [];
      for (const [name, kind] of this.#names) {
        if (!kinds.has(kind)) continue;
        const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        for (const m of text.matchAll(
          new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, "gu"),
        ))
          found.push({ kind, start: m.index, end: m.index + name.length });
      }
      return found.sort((a, b) => a.start - b.start);
    });
  }
}
