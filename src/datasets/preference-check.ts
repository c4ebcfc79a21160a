/**
 * The data check's part for preference pairs (DPO): a file holds pairs or plain examples, never both
 * (nor a training file of one kind with a validation file of the other), and a pair is as long as its
 * longer side: the conversation with the preferred answer (counted by the base model's tokenizer) or
 * with the non-preferred one (estimated from it, at the same tokens per character).
 */
import type { Example } from "./read/index.ts";
import type { ErrorCode, Issue } from "./report.ts";
import { messageText } from "./tool-usage.ts";

const chars = (messages: { content: string }[] | undefined) =>
  (messages ?? []).reduce(
    (n, m) => n + messageText(m as Parameters<typeof messageText>[0]).length,
    0,
  );

/** The trailing assistant messages: the preferred answer of a stored pair. */
function preferredAnswer(e: Example): Example["messages"] {
  let k = e.messages.length;
  while (k > 0 && e.messages[k - 1]?.role === "assistant") k--;
  return e.messages.slice(k);
}

export class PreferenceCheck {
  /** Training examples that are pairs, and that are not. */
  pairs = 0;
  plain = 0;
  private firstPair: number | null = null;
  private firstPlain: number | null = null;
  private val = {
    pairs: 0,
    plain: 0,
    firstPair: null as number | null,
    firstPlain: null as number | null,
  };
  /** Per training example, in order: characters of the whole conversation, and the rejected side
   * minus the preferred one (0 for plain examples). */
  private sizes: { total: number; extra: number }[] = [];

  add(e: Example, line: number): void {
    const pair = e.non_preferred_output !== undefined;
    if (pair) {
      this.pairs++;
      this.firstPair ??= line;
    } else {
      this.plain++;
      this.firstPlain ??= line;
    }
    const total = chars(e.messages);
    this.sizes.push({
      total,
      extra: pair ? chars(e.non_preferred_output) - chars(preferredAnswer(e)) : 0,
    });
  }

  addValidation(e: Example, line: number): void {
    if (e.non_preferred_output !== undefined) {
      this.val.pairs++;
      this.val.firstPair ??= line;
    } else {
      this.val.plain++;
      this.val.firstPlain ??= line;
    }
  }

  /** Whether the training file is preference pairs. */
  get active(): boolean {
    return this.pairs > 0;
  }

  /** A file of both kinds, or a validation file of the other kind. */
  errors(file: string, valFile: string | undefined): Issue<ErrorCode>[] {
    const out: Issue<ErrorCode>[] = [];
    const mixed = (
      f: string,
      c: { pairs: number; plain: number; firstPair: number | null; firstPlain: number | null },
    ) => {
      if (!c.pairs || !c.plain || c.firstPair === null || c.firstPlain === null) return;
      // the minority is the odd one out
      const [line, other] =
        c.pairs >= c.plain ? [c.firstPlain, c.firstPair] : [c.firstPair, c.firstPlain];
      out.push({
        line,
        lines: [other],
        file: f,
        code: "mixed_formats",
        message: `${f} mixes ${c.pairs} preference pair${c.pairs === 1 ? "" : "s"} with ${c.plain} plain example${c.plain === 1 ? "" : "s"} (this line is ${c.pairs >= c.plain ? "a plain example" : "a pair"}, line ${other} ${c.pairs >= c.plain ? "a pair" : "a plain example"}); a file holds one or the other: pairs train with --method dpo, examples with --method supervised`,
      });
    };
    mixed(file, {
      pairs: this.pairs,
      plain: this.plain,
      firstPair: this.firstPair,
      firstPlain: this.firstPlain,
    });
    if (valFile) {
      mixed(valFile, this.val);
      const trainPairs = this.pairs > 0 && this.plain === 0;
      const trainPlain = this.plain > 0 && this.pairs === 0;
      if (
        (trainPairs && this.val.plain && !this.val.pairs) ||
        (trainPlain && this.val.pairs && !this.val.plain)
      )
        out.push({
          file: valFile,
          code: "mixed_formats",
          message: `${valFile} holds ${trainPairs ? "plain examples" : "preference pairs"} but ${file} holds ${trainPairs ? "preference pairs" : "plain examples"}; hold out the same kind of data you train on`,
        });
    }
    return out;
  }

  /**
   * Each training example's length in tokens as training sees it: a pair's longer side. `tokens`
   * counts the conversations with their preferred answer; the other side is estimated from it.
   */
  longestSides(tokens: number[]): number[] {
    if (!this.pairs) return tokens;
    return tokens.map((t, i) => {
      const s = this.sizes[i];
      if (!s || s.extra <= 0 || s.total === 0) return t;
      return Math.max(t, Math.ceil(t + (s.extra * t) / s.total));
    });
  }
}
