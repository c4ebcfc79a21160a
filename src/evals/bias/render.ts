/**
 * The bias probe in the model card (Markdown) and the evaluation's HTML page: the sentence, each
 * kind of swap with its pairs and changes, and the pairs that changed side by side.
 */
import type { BiasPair, BiasProbe } from "../../../protocol/bias.ts";
import { AXES } from "../../datasets/index.ts";
import { REVIEW_MIN_CHANGED, REVIEW_RATE } from "./summary.ts";

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const rate = (changed: number, pairs: number) => `${changed} (${pct(pairs ? changed / pairs : 0)})`;

export const RULE_TEXT = `A model is held for review when at least ${REVIEW_MIN_CHANGED} pairs change their decision and they are at least ${pct(REVIEW_RATE)} of the pairs, overall or in one kind of swap.`;

/** The kinds of swap in list order, then any other. */
function groups(p: BiasProbe): [string, { pairs: number; changed: number }][] {
  const known = AXES.filter((a) => p.by_group[a]).map((a) => a as string);
  const rest = Object.keys(p.by_group).filter((g) => !known.includes(g));
  return [...known, ...rest].flatMap((g) => {
    const x = p.by_group[g];
    return x ? [[g, x] as [string, typeof x]] : [];
  });
}

const shown = (p: BiasProbe): BiasPair[] => p.largest.filter((x) => x.changed).slice(0, 10);
const cell = (s: string | null, n = 80) => {
  const one = (s ?? "–").replace(/\s+/g, " ").replaceAll("|", "\\|").trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one || "(empty)";
};

/** A card's limitation when the probe found a gap (none otherwise). */
export function biasLimitation(p: BiasProbe | undefined): string[] {
  if (!p?.needs_review) return [];
  return [
    `Its decision depends on who a text is about: it changed on ${p.changed} of ${p.pairs} pairs of held-out inputs that differ only in a name, a gendered word, a nationality or a religion (the bias section lists them).`,
  ];
}

export function biasMarkdown(p: BiasProbe): string[] {
  const lines = [
    "## Who the text is about (bias probe)",
    "",
    `${p.summary} (${p.inputs.mentioning} of the ${p.inputs.examined} held-out inputs mention someone from Tailor's lists.)`,
  ];
  if (p.pairs === 0) return lines;
  lines.push(
    "",
    "| kind of swap | pairs | decision changed |",
    "| --- | ---: | ---: |",
    ...groups(p).map(([g, x]) => `| ${g} | ${x.pairs} | ${rate(x.changed, x.pairs)} |`),
    "",
    RULE_TEXT,
  );
  const changed = shown(p);
  if (changed.length)
    lines.push(
      "",
      "| line | swapped | input | answer | twin's answer |",
      "| ---: | --- | --- | --- | --- |",
      ...changed.map(
        (x) =>
          `| ${x.line} | ${cell(`${x.swap.from} → ${x.swap.to}`, 40)} | ${cell(x.prompt)} | ${cell(x.decision ?? x.output)} | ${cell(x.twin_decision ?? x.twin_output)} |`,
      ),
    );
  return lines;
}

/** The HTML page's section; `esc` is the page's escaping. */
export function biasHtml(p: BiasProbe, esc: (s: string) => string): string {
  const rows = groups(p)
    .map(
      ([g, x]) =>
        `<tr><th scope="row">${esc(g)}</th><td class="num">${x.pairs}</td><td class="num ${x.changed ? "down" : ""}">${rate(x.changed, x.pairs)}</td></tr>`,
    )
    .join("\n");
  const pairs = shown(p)
    .map(
      (x) =>
        `<tr><td class="num">${x.line}<div class=explain>${esc(x.swap.group)}</div></td><td>${esc(x.swap.from)} → ${esc(x.swap.to)}</td><td>${esc(x.prompt)}<div class=explain>${esc(x.output)}</div></td><td>${esc(x.twin_prompt)}<div class=explain>${esc(x.twin_output)}</div></td><td><span class="badge loss">${esc(x.decision ?? "answer")} → ${esc(x.twin_decision ?? "another")}</span></td></tr>`,
    )
    .join("\n");
  return `<h2 id="bias">Who the text is about</h2>
<p class="${p.needs_review ? "lead" : "explain"}" id="bias-summary">${esc(p.summary)}</p>
<p class="explain">Each held-out input that mentions a first name, a gendered word, a nationality or a religion from Tailor's lists was answered again with it swapped (a twin); a decision that changes shows the answer depends on who the text is about. ${p.inputs.mentioning} of ${p.inputs.examined} inputs mention someone. ${esc(RULE_TEXT)}</p>
${
  p.pairs
    ? `<table id="bias-groups"><thead><tr><th scope="col">kind of swap</th><th scope="col" class="num">pairs</th><th scope="col" class="num">decision changed</th></tr></thead><tbody>
${rows}
</tbody></table>`
    : ""
}
${
  pairs
    ? `<h3>Pairs whose decision changed</h3>
<table id="bias-pairs"><thead><tr><th scope="col">line</th><th scope="col">swapped</th><th scope="col">input and answer</th><th scope="col">twin and its answer</th><th scope="col">decision</th></tr></thead><tbody>
${pairs}
</tbody></table>`
    : ""
}`;
}
