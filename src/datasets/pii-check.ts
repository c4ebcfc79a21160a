/**
 * The data check's personal-data scan: every text of every example (message content, the
 * arguments of function calls, a preference pair's non-preferred answer), in batches of examples,
 * so that names go to the engine's named-entity model many texts at a time. While the engine reads
 * one batch the next is read and checked for the structured kinds; what follows an example (storing
 * or redacting it) runs once its batch's findings are in, in file order.
 */
import { findPiiBatch, type NameFinder, type PiiFinding, type PiiType } from "../safety/index.ts";
import type { Example } from "./read/index.ts";
import type { PiiIssue } from "./report.ts";

const PII_WORDS: Record<PiiType, string> = {
  EMAIL: "an e-mail address",
  PHONE: "a phone number",
  CARD: "a payment card number",
  IBAN: "a bank account number (IBAN)",
  NATIONAL_ID: "a national ID number",
  IP: "an IP address",
  SECRET: "a password or API key",
  PERSON: "a person's name",
  LOCATION: "a place",
  ORGANIZATION: "an organisation's name",
};

/** Names and places as they are; numbers and secrets mostly hidden, so the report leaks little. */
function mask(text: string, type: PiiType): string {
  if (type === "PERSON" || type === "LOCATION" || type === "ORGANIZATION") return text;
  if (text.length <= 4) return "*".repeat(text.length);
  return `${text.slice(0, 2)}${"*".repeat(Math.min(text.length - 4, 12))}${text.slice(-2)}`;
}

/** The texts of an example that are scanned, each with its field. */
function fields(e: Example): [field: string, text: string][] {
  const out: [string, string][] = [];
  e.messages.forEach((m, i) => {
    out.push([`messages[${i}].content`, m.content]);
    // tool results are message content; call arguments are text the model learns to write
    m.tool_calls?.forEach((c, j) => {
      out.push([`messages[${i}].tool_calls[${j}].function.arguments`, c.function.arguments]);
    });
  });
  e.non_preferred_output?.forEach((m, i) => {
    out.push([`non_preferred_output[${i}].content`, m.content]);
  });
  return out;
}

interface Pending {
  example: Example;
  line: number;
  file: string;
  then: (() => void | Promise<void>) | undefined;
}

export class PiiCheck {
  readonly issues: PiiIssue[] = [];
  readonly counts: Partial<Record<PiiType, number>> = {};
  readonly #names: NameFinder | null;
  readonly #batch: number;
  readonly #maxIssues: number;
  // System prompts and stock answers repeat across examples: each distinct text is scanned once.
  readonly #cache = new Map<string, PiiFinding[]>();
  #pending: Pending[] = [];
  #inflight: Promise<void> = Promise.resolve();

  constructor(names: NameFinder | null, opts: { batch?: number; maxIssues: number }) {
    this.#names = names;
    this.#batch = opts.batch ?? 256;
    this.#maxIssues = opts.maxIssues;
  }

  /** Queues an example; `then` runs once its personal data is known, after the examples before it. */
  async add(example: Example, line: number, file: string, then?: () => void | Promise<void>) {
    this.#pending.push({ example, line, file, then });
    if (this.#pending.length >= this.#batch) await this.#send();
  }

  /** Scans what is queued and waits for everything to be done. */
  async flush(): Promise<void> {
    await this.#send();
    await this.#inflight;
  }

  /** Waits for the batch in flight, whatever its outcome (after a failure elsewhere). */
  async settle(): Promise<void> {
    await this.#inflight.catch(() => {});
  }

  /** Starts on the queued batch; returns once at most this batch is in flight (one more may be read). */
  async #send(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    const previous = this.#inflight;
    const found = this.#find(batch.flatMap((p) => fields(p.example).map(([, text]) => text)));
    this.#inflight = (async () => {
      const byText = await found;
      await previous;
      for (const p of batch) {
        for (const [field, text] of fields(p.example)) {
          for (const hit of byText.get(text) ?? []) this.#record(hit, field, p);
        }
        await p.then?.();
      }
    })();
    this.#inflight.catch(() => {}); // awaited by the next #send or flush; never unhandled meanwhile
    await previous;
  }

  async #find(texts: string[]): Promise<Map<string, PiiFinding[]>> {
    const byText = new Map<string, PiiFinding[]>();
    const todo: string[] = [];
    for (const text of texts) {
      if (byText.has(text)) continue;
      const known = this.#cache.get(text);
      if (known) byText.set(text, known);
      else {
        byText.set(text, []);
        todo.push(text);
      }
    }
    const found = await findPiiBatch(todo, { names: this.#names });
    todo.forEach((text, i) => {
      const hits = found[i] ?? [];
      byText.set(text, hits);
      if (this.#cache.size < 10_000 && text.length < 4096) this.#cache.set(text, hits);
    });
    return byText;
  }

  #record(hit: PiiFinding, field: string, p: Pending): void {
    this.counts[hit.type] = (this.counts[hit.type] ?? 0) + 1;
    if (this.issues.length >= this.#maxIssues) return;
    this.issues.push({
      line: p.line,
      file: p.file,
      field,
      type: hit.type,
      preview: mask(hit.text, hit.type),
      message: `looks like ${PII_WORDS[hit.type]}`,
    });
  }
}
