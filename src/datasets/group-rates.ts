/**
 * Label rates by the groups the texts mention, for classification-like data (labelled texts, or
 * chat examples whose answers are a small set of short labels): "approve" for 80% of the texts
 * that mention only women against 40% of those that mention only men. A model learns such a
 * difference, so a large one is a warning.
 *
 * A text counts for a kind of group (gender, origin of first names, nationality, religion) when it
 * mentions exactly one group of that kind (groups/: the documented lists). A gap is reported when
 * both groups have at least MIN_TEXTS texts, the rates differ by at least MIN_GAP, and a
 * two-proportion z-test says the difference is unlikely to be chance (|z| >= 1.96, about p < 0.05).
 * Memory: a few counts per group and label, never the texts.
 */
import { AXES, type Axis, groupsIn } from "./groups/index.ts";
import type { Example } from "./read/index.ts";
import type { Issue, WarningCode } from "./report.ts";

export const MIN_TEXTS = 5;
export const MIN_GAP = 0.2;
const Z = 1.96;
/** More distinct chat answers than this: not classification-like (outputKind's limit). */
const MAX_LABELS = 50;
const LINES_KEPT = 5;

/** Per kind of group, per group: how many texts, how many have each label, and a few of their lines. */
export type GroupRates = Partial<
  Record<Axis, Record<string, { texts: number; labels: Record<string, number>; lines: number[] }>>
>;

const GROUP_TEXT: Record<Axis, (g: string) => string> = {
  gender: (g) => `only ${g === "female" ? "women or girls" : "men or boys"}`,
  origin: (g) => `only first names perceived as ${g}`,
  nationality: (g) => `the nationality ${g} and no other`,
  religion: (g) => `the religion ${g} and no other`,
};

const pct = (x: number) => `${Math.round(x * 100)}%`;

/** Two-proportion z statistic (pooled). */
function zScore(a: number, n: number, b: number, m: number): number {
  const p = (a + b) / (n + m);
  const se = Math.sqrt(p * (1 - p) * (1 / n + 1 / m));
  return se === 0 ? 0 : (a / n - b / m) / se;
}

export class GroupRateCheck {
  private readonly rates: GroupRates = {};
  private readonly labels = new Set<string>();
  private examples = 0;
  private chat = false;
  private off = false;

  /** One training example: its labels (or short answer) counted under the groups its text mentions. */
  add(e: Example, line: number): void {
    if (this.off) return;
    let labels = e.labels;
    if (!labels) {
      const answer = e.messages.filter((m) => m.role === "assistant").at(-1);
      const text = answer?.content.trim().replace(/\s+/g, " ") ?? "";
      // answers that call functions, or are longer than a few words, are not labels
      if (!answer || answer.tool_calls || !text || text.split(" ").length > 3) {
        this.stop();
        return;
      }
      this.chat = true;
      labels = [text];
    }
    this.examples++;
    for (const l of labels) this.labels.add(l);
    if (this.chat && this.labels.size > MAX_LABELS) {
      this.stop();
      return;
    }
    const text = e.messages
      .filter((m) => m.role === "user")
      .map((m) => m.content)
      .join("\n");
    const found = groupsIn(text);
    for (const axis of AXES) {
      const groups = found[axis];
      if (groups?.length !== 1 || !groups[0]) continue;
      const byGroup = this.rates[axis] ?? {};
      const g = byGroup[groups[0]] ?? { texts: 0, labels: {}, lines: [] };
      g.texts++;
      for (const l of labels) g.labels[l] = (g.labels[l] ?? 0) + 1;
      if (g.lines.length < LINES_KEPT) g.lines.push(line);
      byGroup[groups[0]] = g;
      this.rates[axis] = byGroup;
    }
  }

  private stop(): void {
    this.off = true;
    for (const axis of AXES) delete this.rates[axis];
  }

  /** Whether the data is classification-like (a small set of labels repeats). */
  get active(): boolean {
    if (this.off || this.examples === 0) return false;
    return !this.chat || this.labels.size <= Math.max(2, Math.floor(this.examples / 2));
  }

  /** The rates, when the data is classification-like and some text mentions a group. */
  summary(): GroupRates | null {
    return this.active && Object.keys(this.rates).length ? this.rates : null;
  }

  /** One warning per kind of group: its largest gap that passes the rule above. */
  warnings(file: string): Issue<WarningCode>[] {
    if (!this.active) return [];
    const out: Issue<WarningCode>[] = [];
    for (const axis of AXES) {
      const groups = Object.entries(this.rates[axis] ?? {}).filter(([, g]) => g.texts >= MIN_TEXTS);
      let worst: { gap: number; label: string; hi: string; lo: string } | null = null;
      for (const label of [...this.labels].sort())
        for (const [hi, a] of groups)
          for (const [lo, b] of groups) {
            const x = a.labels[label] ?? 0;
            const y = b.labels[label] ?? 0;
            const gap = x / a.texts - y / b.texts;
            if (gap < MIN_GAP || zScore(x, a.texts, y, b.texts) < Z) continue;
            if (!worst || gap > worst.gap + 1e-12) worst = { gap, label, hi, lo };
          }
      if (!worst) continue;
      const a = this.rates[axis]?.[worst.hi];
      const b = this.rates[axis]?.[worst.lo];
      if (!a || !b) continue;
      const rate = (g: typeof a) => pct((g.labels[worst.label] ?? 0) / g.texts);
      out.push({
        file,
        lines: [...a.lines, ...b.lines],
        code: "group_label_gap",
        message: `"${worst.label}" is the label of ${rate(a)} of the ${a.texts} texts that mention ${GROUP_TEXT[axis](worst.hi)}, against ${rate(b)} of the ${b.texts} that mention ${GROUP_TEXT[axis](worst.lo)} (e.g. lines ${a.lines.slice(0, 2).join(", ")} against ${b.lines.slice(0, 2).join(", ")}); a model trained on them learns that difference. If the label should not depend on ${axis}, check these labels, or add examples that balance them`,
      });
    }
    return out;
  }
}
