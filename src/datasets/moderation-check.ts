/**
 * The data check's moderation of answers: every assistant message of every example (what the model
 * learns to say) goes to the moderation model in batches; an answer it flags is a warning with its
 * line, field and categories, because a model learns what its examples say. Labelled texts
 * (classification) are skipped: their answers are labels, and a classifier of harmful texts must be
 * shown harmful texts. A preference pair's non-preferred answer is what the model learns not to say,
 * so only the preferred one is checked. While the engine scores one batch, the next is read. An
 * answer repeated across examples (a template, a one-word answer) is scored once: what is kept per
 * distinct answer is a 48-bit hash and, when it was flagged, the warning's words.
 */
import { createHash } from "node:crypto";
import { MODERATION_CATEGORIES, type ModerationResult } from "../../protocol/moderation.ts";
import type { Moderator } from "../safety/index.ts";
import type { Example } from "./read/index.ts";
import type { Issue } from "./report.ts";

interface Place {
  line: number;
  file: string;
  field: string;
}

/** A distinct answer waiting for its score, with every place it was seen. */
interface Answer {
  key: number;
  text: string;
  places: Place[];
}

/** 48 bits of sha256 as a number (as the duplicate check keys examples). */
const sha = (s: string) => createHash("sha256").update(s).digest().readUIntBE(0, 6);

export interface ModerationCheckOptions {
  /** Answers per call to the moderator (default 256). */
  batch?: number;
  /** Warnings listed in full; the rest are counted in the first one (default 200). */
  maxIssues?: number;
}

export class ModerationCheck {
  /** Answers checked, and those flagged. */
  checked = 0;
  flagged = 0;
  readonly #moderator: Moderator | null;
  readonly #batch: number;
  readonly #maxIssues: number;
  readonly #issues: Issue<"harmful_answer">[] = [];
  #pending: Answer[] = [];
  /** Each distinct answer: waiting (its Answer), or scored (the warning's words, null if not flagged). */
  readonly #seen = new Map<number, Answer | { message: string | null }>();
  #inFlight: Promise<void> | null = null;
  /** Why moderation stopped (the engine failed): the check goes on without it and says so. */
  #failed: string | null = null;

  constructor(moderator: Moderator | null, opts: ModerationCheckOptions = {}) {
    this.#moderator = moderator;
    this.#batch = opts.batch ?? 256;
    this.#maxIssues = opts.maxIssues ?? 200;
  }

  /** Queues an example's answers; waits only when a full batch must wait for the one before. */
  async add(e: Example, line: number, file: string): Promise<void> {
    if (!this.#moderator || e.labels || this.#failed !== null) return;
    e.messages.forEach((m, i) => {
      if (m.role !== "assistant" || m.content.trim() === "") return;
      const place = { line, file, field: `messages[${i}].content` };
      const key = sha(m.content);
      const seen = this.#seen.get(key);
      if (seen === undefined) {
        const answer = { key, text: m.content, places: [place] };
        this.#seen.set(key, answer);
        this.#pending.push(answer);
      } else if ("places" in seen) seen.places.push(place);
      else this.#record(place, seen.message);
    });
    if (this.#pending.length >= this.#batch) await this.#send();
  }

  /** Moderates what is still queued and waits for every answer. */
  async flush(): Promise<void> {
    if (this.#pending.length > 0) await this.#send();
    await this.#inFlight;
  }

  /** Waits for a batch still running (after a failure elsewhere), ignoring its outcome. */
  async settle(): Promise<void> {
    await this.#inFlight?.catch(() => undefined);
  }

  /** The warnings, in file order; when more were flagged than listed, the first says how many. */
  warnings(file: string): Issue<"harmful_answer">[] {
    const listed = [...this.#issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    const failed: Issue<"harmful_answer">[] =
      this.#failed === null
        ? []
        : [
            {
              file,
              code: "harmful_answer",
              message: `answers after the first ${this.checked} were not checked for harmful content: the moderation model failed (${this.#failed}); run the check again, or with --no-moderation`,
            },
          ];
    if (this.flagged <= listed.length) return [...failed, ...listed];
    return [
      ...failed,
      {
        file,
        code: "harmful_answer",
        message: `${this.flagged} of ${this.checked} answers are flagged by the moderation model; the first ${listed.length} are listed (tailor moderate ${file} lists them all)`,
      },
      ...listed.slice(0, this.#maxIssues - 1),
    ];
  }

  async #send(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    await this.#inFlight; // one batch at a time: the next waits here, already read
    this.#inFlight = this.#moderate(batch);
  }

  async #moderate(batch: Answer[]): Promise<void> {
    let results: ModerationResult[];
    try {
      results = await (this.#moderator as Moderator).moderate(batch.map((a) => a.text));
    } catch (e) {
      this.#failed = (e as Error).message;
      this.#pending = [];
      return;
    }
    results.forEach((r, i) => {
      const a = batch[i] as Answer;
      const message = r.flagged ? describe(r) : null;
      this.#seen.set(a.key, { message });
      for (const place of a.places) this.#record(place, message);
    });
  }

  #record(place: Place, message: string | null): void {
    this.checked++;
    if (message === null) return;
    this.flagged++;
    if (this.#issues.length < this.#maxIssues) {
      this.#issues.push({ ...place, code: "harmful_answer", message });
    }
  }
}

/** The warning for a flagged answer: its most specific categories (a subcategory says more). */
function describe(r: ModerationResult): string {
  const flagged = MODERATION_CATEGORIES.filter((c) => r.categories[c]);
  const shown = flagged.filter(
    (c) => c.includes("/") || !flagged.some((s) => s.startsWith(`${c}/`)),
  );
  const what = shown.map((c) => `${c} (${r.category_scores[c].toFixed(2)})`).join(", ");
  return `the answer is flagged as ${what} by the moderation model: a model learns what its examples say; rewrite or remove it unless the model should say this`;
}
