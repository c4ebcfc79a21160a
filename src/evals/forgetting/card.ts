/**
 * The general set on a model card: a Markdown section (the counts by category, the lost questions
 * with both answers) and a limitation when tuning lost answers its base had right.
 */
import type { ForgettingCheck } from "../../../protocol/forgetting.ts";

const cell = (s: string, n = 60) => {
  const one = s.replace(/\s+/g, " ").replaceAll("|", "\\|").trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
};

/** Right answers per category, base then tuned: `arithmetic 1 → 0`. */
export function byCategory(
  c: ForgettingCheck,
): { category: string; base: number; model: number; items: number }[] {
  const out = new Map<string, { category: string; base: number; model: number; items: number }>();
  for (const r of c.results) {
    const row = out.get(r.category) ?? { category: r.category, base: 0, model: 0, items: 0 };
    row.items++;
    if (r.base_correct) row.base++;
    if (r.model_correct) row.model++;
    out.set(r.category, row);
  }
  return [...out.values()];
}

/** The card's "General abilities" section. */
export function forgettingMarkdown(c: ForgettingCheck, model: string, base: string): string[] {
  const lost = c.results.filter((r) => r.base_correct && !r.model_correct);
  const gained = c.results.filter((r) => !r.base_correct && r.model_correct);
  if (c.skipped) return ["## General abilities", "", c.summary];
  const lines = [
    "## General abilities",
    "",
    `${c.summary} The questions are ${c.set}, which ships with Tailor; each answer (greedy, at most ${c.max_tokens ?? 32} tokens) is checked by a rule, not by a person.`,
    "",
    `| category | questions | ${base} right | ${model} right |`,
    "| --- | ---: | ---: | ---: |",
    ...byCategory(c).map((r) => `| ${r.category} | ${r.items} | ${r.base} | ${r.model} |`),
  ];
  if (lost.length) {
    lines.push(
      "",
      "Answers its base got right and it now gets wrong:",
      "",
      "| question | expected | base | tuned |",
      "| --- | --- | --- | --- |",
      ...lost.map(
        (r) =>
          `| ${cell(r.prompt)} | ${cell(r.expected, 40)} | ${cell(r.base_output)} | ${cell(r.model_output)} |`,
      ),
    );
  }
  if (gained.length)
    lines.push("", `Newly right: ${gained.map((r) => `"${cell(r.prompt)}"`).join("; ")}.`);
  return lines;
}

/** A limitation when answers were lost (null when none were). */
export function forgettingLimitation(c: ForgettingCheck): string | null {
  if (c.lost === 0) return null;
  return `Tuning cost it ${c.lost} of the ${c.base_correct} general answers its base got right (Tailor's general questions: arithmetic, facts, formats, refusals): expect it to do worse than its base on questions unlike its examples.`;
}
