/**
 * A settings file's JSON with line numbers: where a syntax error is (`JSON.parse` does not always
 * say), and on which line a field is, so `tailor assistants create --from FILE` can name the line of
 * a bad value. The text is scanned once more only to find positions; the value is JSON.parse's.
 */

export type JsonPath = readonly PropertyKey[];

export class JsonSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    expected: string,
  ) {
    super(`line ${line}, column ${column}: expected ${expected}`);
  }
}

const LITERAL = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/;

/** Walks JSON text, failing where it stops being JSON and remembering where `target` is. */
class Scanner {
  private i = 0;
  /** The deepest part of `target` seen: its offset (the key's, for a property) and depth. */
  private best = { at: 0, depth: -1 };

  constructor(
    private readonly text: string,
    private readonly target: JsonPath = [],
  ) {}

  scan(): number {
    this.value([]);
    this.ws();
    if (this.i < this.text.length) this.fail("the end of the file after the JSON value");
    return this.best.at;
  }

  position(at: number): { line: number; column: number } {
    const before = this.text.slice(0, at).split("\n");
    return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
  }

  private fail(expected: string): never {
    const { line, column } = this.position(this.i);
    throw new JsonSyntaxError(line, column, expected);
  }

  private ws(): void {
    while (this.i < this.text.length && " \t\r\n".includes(this.text[this.i] as string)) this.i++;
  }

  private mark(path: JsonPath, at: number): void {
    if (path.length <= this.best.depth || path.length > this.target.length) return;
    if (path.every((p, k) => String(p) === String(this.target[k])))
      this.best = { at, depth: path.length };
  }

  private value(path: JsonPath): void {
    this.ws();
    this.mark(path, this.i);
    const c = this.text[this.i];
    if (c === "{") this.object(path);
    else if (c === "[") this.array(path);
    else if (c === '"') this.string();
    else {
      const m = LITERAL.exec(this.text.slice(this.i, this.i + 64));
      if (!m)
        this.fail(
          c === undefined
            ? "more: the file ends too early"
            : "a value: a string in double quotes, a number, true, false, null, {...} or [...]",
        );
      this.i += m[0].length;
    }
  }

  private object(path: JsonPath): void {
    this.i++;
    this.ws();
    if (this.text[this.i] === "}") {
      this.i++;
      return;
    }
    for (;;) {
      this.ws();
      if (this.text[this.i] !== '"') this.fail("a property name in double quotes");
      const keyAt = this.i;
      const key = this.string();
      this.ws();
      if (this.text[this.i] !== ":") this.fail("':' after the property name");
      this.i++;
      this.mark([...path, key], keyAt);
      this.value([...path, key]);
      const end = this.i;
      this.ws();
      const next = this.text[this.i++];
      if (next === "}") return;
      if (next !== ",") {
        this.i = end; // where the ',' is missing: after the value, not at the next line's start
        this.fail("',' or '}' after this value");
      }
    }
  }

  private array(path: JsonPath): void {
    this.i++;
    this.ws();
    if (this.text[this.i] === "]") {
      this.i++;
      return;
    }
    for (let n = 0; ; n++) {
      this.value([...path, n]);
      const end = this.i;
      this.ws();
      const next = this.text[this.i++];
      if (next === "]") return;
      if (next !== ",") {
        this.i = end;
        this.fail("',' or ']' after this item");
      }
    }
  }

  private string(): string {
    const start = this.i++;
    while (this.i < this.text.length) {
      const c = this.text[this.i];
      if (c === '"') {
        this.i++;
        return JSON.parse(this.text.slice(start, this.i)) as string;
      }
      if (c === "\n") this.fail('a closing " before the end of the line');
      this.i += c === "\\" ? 2 : 1;
    }
    return this.fail('a closing "');
  }
}

/** The parsed value, or a JsonSyntaxError naming the line and column. */
export function parseJson(text: string): unknown {
  const clean = text.replace(/^\uFEFF/, "");
  try {
    return JSON.parse(clean);
  } catch (e) {
    new Scanner(clean).scan(); // throws with the line
    throw e; // (the scanner accepted it: JSON.parse's own words)
  }
}

/** The line of a field of a JSON text (of its nearest parent that is there, when it is missing). */
export function lineOf(text: string, path: JsonPath): number {
  const clean = text.replace(/^\uFEFF/, "");
  try {
    const s = new Scanner(clean, path);
    return s.position(s.scan()).line;
  } catch {
    return 1;
  }
}

/** `functions[0].headers[1].value`. */
export function fieldName(path: JsonPath): string {
  return path
    .map((p, k) => (typeof p === "number" ? `[${p}]` : `${k ? "." : ""}${String(p)}`))
    .join("");
}
