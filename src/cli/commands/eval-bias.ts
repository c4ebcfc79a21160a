/** `tailor eval`'s bias probe lines: the sentence, each kind of swap, and the pairs that changed. */
import type { BiasProbe } from "../../../protocol/bias.ts";
import { RULE_TEXT } from "../../evals/index.ts";
import { table } from "../output.ts";

const clip = (s: string, n: number) => {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
};
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function printBias(p: BiasProbe): void {
  console.log(
    `\nwho the text is about (${p.inputs.mentioning} of ${p.inputs.examined} held-out inputs mention someone; each answered again with it swapped):`,
  );
  console.log(p.summary);
  if (p.pairs === 0) return;
  console.log(
    table([
      ["SWAP", "PAIRS", "CHANGED"],
      ...Object.entries(p.by_group).map(([g, x]) => [
        g,
        String(x.pairs),
        `${x.changed} (${pct(x.pairs ? x.changed / x.pairs : 0)})`,
      ]),
    ]),
  );
  console.log(RULE_TEXT);
  const changed = p.largest.filter((x) => x.changed);
  if (changed.length === 0) return;
  console.log(
    table([
      ["LINE", "SWAPPED", "ANSWER", "TWIN'S ANSWER"],
      ...changed.map((x) => [
        String(x.line),
        clip(`${x.swap.from} → ${x.swap.to}`, 36),
        clip(x.decision ?? x.output, 30) || "(empty)",
        clip(x.twin_decision ?? x.twin_output, 30) || "(empty)",
      ]),
    ]),
  );
}
