/**
 * Measuring a moderator on labelled sets it was not trained on: precision and recall per category
 * group and overall (a text is flagged in a group when any of the group's categories is flagged) on
 * heldout.jsonl, and the share of ordinary texts flagged, per domain, on ordinary.jsonl.
 */
import { availableParallelism, loadavg } from "node:os";
import {
  groupOf,
  MODERATION_CATEGORIES,
  MODERATION_GROUPS,
  type ModerationGroup,
  type ModerationResult,
} from "../../../protocol/moderation.ts";
import { inGroup, type LabelledText } from "./data.ts";
import type { Moderator } from "./port.ts";

export interface GroupFigures {
  /** Texts labelled in the group. */
  positives: number;
  /** Texts flagged in the group. */
  flagged: number;
  truePositives: number;
  precision: number;
  recall: number;
}

export interface Measurement {
  texts: number;
  groups: Record<ModerationGroup, GroupFigures>;
  /** Any group: a harmful text flagged at all (recall), a flagged text harmful at all (precision). */
  overall: GroupFigures;
}

export const flaggedGroups = (r: ModerationResult): Set<ModerationGroup> =>
  new Set(MODERATION_CATEGORIES.filter((c) => r.categories[c]).map(groupOf));

const figures = (positives: number, flagged: number, tp: number): GroupFigures => ({
  positives,
  flagged,
  truePositives: tp,
  precision: flagged === 0 ? 0 : tp / flagged,
  recall: positives === 0 ? 0 : tp / positives,
});

export function measureHeldout(texts: LabelledText[], results: ModerationResult[]): Measurement {
  const groups = {} as Record<ModerationGroup, GroupFigures>;
  const flagged = results.map(flaggedGroups);
  for (const g of MODERATION_GROUPS) {
    let pos = 0;
    let fl = 0;
    let tp = 0;
    texts.forEach((t, i) => {
      const isPos = inGroup(t, g);
      const isFlagged = flagged[i]?.has(g) ?? false;
      pos += isPos ? 1 : 0;
      fl += isFlagged ? 1 : 0;
      tp += isPos && isFlagged ? 1 : 0;
    });
    groups[g] = figures(pos, fl, tp);
  }
  let pos = 0;
  let fl = 0;
  let tp = 0;
  texts.forEach((t, i) => {
    const isPos = t.categories.size > 0;
    const isFlagged = results[i]?.flagged ?? false;
    pos += isPos ? 1 : 0;
    fl += isFlagged ? 1 : 0;
    tp += isPos && isFlagged ? 1 : 0;
  });
  return { texts: texts.length, groups, overall: figures(pos, fl, tp) };
}

export interface DomainFlags {
  texts: number;
  flagged: number;
  rate: number;
  /** The flagged texts' groups, most frequent first. */
  groups: [ModerationGroup, number][];
}

/** The false-flag rate of ordinary texts, per domain and over all ("all"). */
export function measureOrdinary(
  texts: LabelledText[],
  results: ModerationResult[],
): Record<string, DomainFlags> {
  const by = new Map<
    string,
    { texts: number; flagged: number; groups: Map<ModerationGroup, number> }
  >();
  const add = (domain: string, r: ModerationResult) => {
    const d = by.get(domain) ?? { texts: 0, flagged: 0, groups: new Map() };
    d.texts++;
    if (r.flagged) {
      d.flagged++;
      for (const g of flaggedGroups(r)) d.groups.set(g, (d.groups.get(g) ?? 0) + 1);
    }
    by.set(domain, d);
  };
  texts.forEach((t, i) => {
    const r = results[i];
    if (!r) return;
    add(t.domain ?? "unspecified", r);
    add("all", r);
  });
  return Object.fromEntries(
    [...by].map(([k, d]) => [
      k,
      {
        texts: d.texts,
        flagged: d.flagged,
        rate: d.texts === 0 ? 0 : d.flagged / d.texts,
        groups: [...d.groups].sort((a, b) => b[1] - a[1]),
      },
    ]),
  );
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The measured tables as Markdown (the model card and bench/README). */
export function renderTables(
  heldout: Measurement | null,
  ordinary: Record<string, DomainFlags> | null,
): string {
  const out: string[] = [];
  if (heldout) {
    out.push(
      `Held-out set: ${heldout.texts} texts.`,
      "",
      "| group | texts in group | flagged | precision | recall |",
      "| --- | ---: | ---: | ---: | ---: |",
    );
    for (const g of MODERATION_GROUPS) {
      const f = heldout.groups[g];
      out.push(`| ${g} | ${f.positives} | ${f.flagged} | ${pct(f.precision)} | ${pct(f.recall)} |`);
    }
    const o = heldout.overall;
    out.push(
      `| **any** | ${o.positives} | ${o.flagged} | ${pct(o.precision)} | ${pct(o.recall)} |`,
    );
  }
  if (ordinary) {
    if (out.length > 0) out.push("");
    out.push(
      "Ordinary texts flagged (false flags):",
      "",
      "| domain | texts | flagged | rate | groups flagged |",
      "| --- | ---: | ---: | ---: | --- |",
    );
    const domains = Object.keys(ordinary)
      .filter((d) => d !== "all")
      .sort();
    for (const d of [...domains, "all"]) {
      const f = ordinary[d];
      if (!f) continue;
      const groups = f.groups.map(([g, n]) => `${g} ${n}`).join(", ") || "-";
      out.push(
        `| ${d === "all" ? "**all**" : d} | ${f.texts} | ${f.flagged} | ${pct(f.rate)} | ${groups} |`,
      );
    }
  }
  return out.join("\n");
}

export interface Evaluation {
  heldout: Measurement | null;
  ordinary: Record<string, DomainFlags> | null;
  /** Texts moderated per second (held-out and ordinary together, through the moderator). */
  textsPerSecond: number | null;
  /** The machine's load average (1 minute) when the speed was measured, and its cores. */
  machine: { loadAverage: number; cores: number };
}

/** Moderates the held-out and ordinary sets (those that exist) and measures. */
export async function evaluate(
  moderator: Moderator,
  sets: { heldout: LabelledText[] | null; ordinary: LabelledText[] | null },
): Promise<Evaluation> {
  const h = sets.heldout ?? [];
  const o = sets.ordinary ?? [];
  const machine = { loadAverage: loadavg()[0] ?? 0, cores: availableParallelism() };
  if (h.length + o.length === 0) {
    return { heldout: null, ordinary: null, textsPerSecond: null, machine };
  }
  const started = performance.now();
  const results = await moderator.moderate([...h, ...o].map((t) => t.text));
  const seconds = (performance.now() - started) / 1000;
  return {
    heldout: sets.heldout ? measureHeldout(h, results.slice(0, h.length)) : null,
    ordinary: sets.ordinary ? measureOrdinary(o, results.slice(h.length)) : null,
    textsPerSecond: (h.length + o.length) / seconds,
    machine,
  };
}
