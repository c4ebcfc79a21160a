/**
 * The checks a set of labelled texts (classification) gets as a whole: how many examples each label
 * has, labels too rare to learn, labels far apart in size, the same text under different labels,
 * labels that only the validation set has, and files that mix labelled texts with other examples.
 * Memory grows by a hash and a line per distinct text, never by the texts.
 */
import { createHash } from "node:crypto";
import type { Example } from "./read/index.ts";
import type { ErrorCode, Issue, LabelSummary, WarningCode } from "./report.ts";

/** A label with fewer training examples than this is reported as rare. */
export const RARE_LABEL = 5;
/** Largest over smallest label count from which the set is reported as unbalanced. */
export const IMBALANCE_RATIO = 10;
const MAX_LISTED = 20;

const textKey = (s: string) =>
  createHash("sha256")
    .update(
      s
        .toLowerCase()
        .replace(/[^\p{L}\p{N}]+/gu, " ")
        .trim(),
    )
    .digest()
    .readUIntBE(0, 6);

const quoted = (labels: string[]) => labels.map((l) => `"${l}"`).join(", ");
const examples = (n: number) => `${n} example${n === 1 ? "" : "s"}`;

/** Kinds of line in one file: labelled texts, other examples, and the first line of each. */
class Kinds {
  labelled = 0;
  other = 0;
  firstLabelled = 0;
  firstOther = 0;

  add(e: Example, line: number): void {
    if (e.labels) {
      if (!this.labelled++) this.firstLabelled = line;
    } else if (!this.other++) this.firstOther = line;
  }

  /** A file is labelled texts or other examples, not both. */
  mixed(file: string): Issue<ErrorCode> | null {
    if (!this.labelled || !this.other) return null;
    const [few, many] =
      this.labelled <= this.other
        ? [
            `${examples(this.labelled)} (from line ${this.firstLabelled}) are labelled texts`,
            `${this.other} are chat or prompt/completion examples`,
          ]
        : [
            `${examples(this.other)} (from line ${this.firstOther}) are chat or prompt/completion examples`,
            `${this.labelled} are labelled texts`,
          ];
    return {
      file,
      line: this.labelled <= this.other ? this.firstLabelled : this.firstOther,
      code: "mixed_formats",
      message: `${few} and ${many}; a file holds one kind: for a classifier, write every line as {"text": ..., "label": ...}`,
    };
  }
}

export class LabelCheck {
  private readonly counts = new Map<string, number>();
  private readonly valCounts = new Map<string, number>();
  /** Each distinct text: its labels and first line. */
  private readonly texts = new Map<number, { labels: string; line: number }>();
  private readonly train = new Kinds();
  private readonly val = new Kinds();
  private readonly conflicts: Issue<WarningCode>[] = [];
  private conflictCount = 0;
  private multi = false;

  /** Whether the training file is labelled texts (the checks below apply). */
  get active(): boolean {
    return this.train.labelled > 0;
  }

  add(e: Example, line: number, file: string): void {
    this.train.add(e, line);
    if (!e.labels) return;
    if (e.labels.length !== 1) this.multi = true;
    for (const l of e.labels) this.counts.set(l, (this.counts.get(l) ?? 0) + 1);
    const text = e.messages.find((m) => m.role === "user")?.content ?? "";
    const key = textKey(text);
    const labels = [...e.labels].sort().join("\n");
    const earlier = this.texts.get(key);
    if (!earlier) this.texts.set(key, { labels, line });
    else if (earlier.labels !== labels && this.conflictCount++ < MAX_LISTED)
      this.conflicts.push({
        file,
        line,
        lines: [earlier.line],
        code: "label_conflict",
        message: `has the same text as line ${earlier.line} under other labels (${quoted(e.labels)} here, ${quoted(earlier.labels.split("\n"))} there); the model cannot learn both: keep the right one`,
      });
  }

  addValidation(e: Example, line: number): void {
    this.val.add(e, line);
    if (e.labels) {
      if (e.labels.length !== 1) this.multi = true;
      for (const l of e.labels) this.valCounts.set(l, (this.valCounts.get(l) ?? 0) + 1);
    }
  }

  /** `heldOut`: the file is validation only, where one label is enough. */
  errors(file: string, valFile?: string, heldOut = false): Issue<ErrorCode>[] {
    const out: Issue<ErrorCode>[] = [];
    const mixed = this.train.mixed(file);
    if (mixed) out.push(mixed);
    if (valFile) {
      const valMixed = this.val.mixed(valFile);
      if (valMixed) out.push(valMixed);
      else if (this.active && this.val.other)
        out.push({
          file: valFile,
          line: this.val.firstOther,
          code: "mixed_formats",
          message: `the training examples are labelled texts but these validation examples are not; write them as {"text": ..., "label": ...} too`,
        });
      else if (!this.train.labelled && this.train.other && this.val.labelled)
        out.push({
          file: valFile,
          line: this.val.firstLabelled,
          code: "mixed_formats",
          message:
            "these validation examples are labelled texts but the training examples are not; give both in the same form",
        });
    }
    if (this.active && !mixed && !heldOut && this.counts.size === 1) {
      const [only] = this.counts.keys();
      out.push({
        file,
        code: "too_few_labels",
        message: `every example has the label "${only}"; a classifier needs examples of at least two labels`,
      });
    }
    return out;
  }

  warnings(file: string, valFile?: string): Issue<WarningCode>[] {
    if (!this.active) return [];
    const out: Issue<WarningCode>[] = [...this.conflicts];
    if (this.conflictCount > MAX_LISTED)
      out.push({
        file,
        code: "label_conflict",
        message: `… and ${this.conflictCount - MAX_LISTED} more texts that appear under different labels`,
      });
    const sorted = [...this.counts].sort((a, b) => b[1] - a[1]);
    const rare = sorted.filter(([, n]) => n < RARE_LABEL);
    if (rare.length)
      out.push({
        file,
        code: "rare_label",
        message: `${rare.length === 1 ? "one label has" : `${rare.length} labels have`} fewer than ${RARE_LABEL} examples (${rare.map(([l, n]) => `"${l}": ${n}`).join(", ")}); the model can hardly learn ${rare.length === 1 ? "it" : "them"} from so few: add examples (20 or more each is better), or merge ${rare.length === 1 ? "it into another label" : "them into other labels"}`,
      });
    const [top] = sorted;
    const bottom = sorted.at(-1);
    if (top && bottom && sorted.length > 1 && top[1] >= IMBALANCE_RATIO * bottom[1])
      out.push({
        file,
        code: "label_imbalance",
        message: `the labels are unbalanced: "${top[0]}" has ${examples(top[1])}, "${bottom[0]}" ${bottom[1]} (${Math.round(top[1] / bottom[1])} times fewer); the model will lean towards "${top[0]}". Add examples of the small labels; the evaluation's macro-F1 shows how the small ones fare`,
      });
    const unseen = [...this.valCounts.keys()].filter((l) => !this.counts.has(l));
    if (valFile && unseen.length)
      out.push({
        file: valFile,
        code: "unseen_label",
        message: `the validation examples use ${unseen.length === 1 ? "a label" : "labels"} no training example has (${quoted(unseen.slice(0, 10))}${unseen.length > 10 ? ", …" : ""}); the model cannot predict ${unseen.length === 1 ? "it" : "them"}: add training examples, or fix the spelling`,
      });
    return out;
  }

  /** The labels and their counts, most common first; null when the file is not labelled texts. */
  summary(): LabelSummary | null {
    if (!this.active) return null;
    const sorted = [...this.counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const top = sorted[0]?.[1] ?? 0;
    const bottom = sorted.at(-1)?.[1] ?? 0;
    return {
      counts: Object.fromEntries(sorted),
      validation_counts: Object.fromEntries(
        [...this.valCounts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
      ),
      multi_label: this.multi,
      imbalance: bottom > 0 ? top / bottom : null,
    };
  }
}
