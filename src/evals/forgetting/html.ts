/**
 * The general set in the HTML evaluation report: the sentence, right answers per category, and every
 * question whose answer changed (lost first) with both answers.
 */
import type { ForgettingCheck } from "../../../protocol/forgetting.ts";
import { byCategory } from "./card.ts";

/** The section; `esc` is the report's HTML escaping. */
export function forgettingHtml(
  c: ForgettingCheck,
  names: { model: string; base: string },
  esc: (s: string) => string,
): string {
  const changed = [
    ...c.results.filter((r) => r.base_correct && !r.model_correct),
    ...c.results.filter((r) => !r.base_correct && r.model_correct),
  ];
  if (c.skipped)
    return `<h2 id="general">General abilities</h2>\n<p class="explain" id="forgetting">${esc(c.summary)}</p>`;
  const rows = changed
    .map(
      (r) =>
        `<tr class="${r.model_correct ? "win" : "loss"}"><td>${esc(r.prompt)}<div class=explain>${esc(r.category)} · ${esc(r.id)}</div></td><td>${esc(r.expected)}</td><td>${esc(r.base_output) || '<span class="explain">(empty answer)</span>'}</td><td>${esc(r.model_output) || '<span class="explain">(empty answer)</span>'}</td><td><span class="badge ${r.model_correct ? "win" : "loss"}">${r.model_correct ? "gained" : "lost"}</span></td></tr>`,
    )
    .join("\n");
  return `<h2 id="general">General abilities</h2>
<p class="lead${c.concern ? " warn" : ""}" id="forgetting">${esc(c.concern ?? c.summary)}</p>
<p class="explain">${c.items} short questions (${esc(c.set)}, shipped with Tailor) answered by both models, greedily, at most ${c.max_tokens ?? 32} tokens each, and checked by rules${c.base_cached ? "; the base's answers were reused from an earlier run on the same base" : ""}.</p>
<table id="general-categories"><thead><tr><th scope="col">category</th><th scope="col" class="num">questions</th><th scope="col" class="num">${esc(names.base)} right</th><th scope="col" class="num">${esc(names.model)} right</th></tr></thead><tbody>
${byCategory(c)
  .map(
    (r) =>
      `<tr><th scope="row">${esc(r.category)}</th><td class="num">${r.items}</td><td class="num">${r.base}</td><td class="num ${r.model < r.base ? "down" : r.model > r.base ? "up" : ""}">${r.model}</td></tr>`,
  )
  .join("\n")}
</tbody></table>
${
  changed.length
    ? `<h3>Questions whose answer changed</h3>
<table id="general-changed"><thead><tr><th scope="col">question</th><th scope="col">a right answer</th><th scope="col">${esc(names.base)}</th><th scope="col">${esc(names.model)}</th><th scope="col">change</th></tr></thead><tbody>
${rows}
</tbody></table>`
    : ""
}`;
}
