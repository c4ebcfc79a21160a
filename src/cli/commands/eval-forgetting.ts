/** `tailor eval --save`'s general-set lines: the sentence, and each question whose answer changed. */
import type { ForgettingCheck } from "../../../protocol/forgetting.ts";
import { table } from "../output.ts";

const clip = (s: string, n: number) => {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
};

export function printForgetting(c: ForgettingCheck): void {
  if (c.skipped) return void console.log(`\n${c.summary}`);
  console.log(
    `\ngeneral questions (${c.set}, ${c.items} of them; base ${c.base_correct} right, tuned ${c.model_correct}):`,
  );
  console.log(c.summary);
  const changed = [
    ...c.results.filter((r) => r.base_correct && !r.model_correct),
    ...c.results.filter((r) => !r.base_correct && r.model_correct),
  ];
  if (changed.length === 0) return;
  console.log(
    table([
      ["", "QUESTION", "BASE", "TUNED"],
      ...changed.map((r) => [
        r.model_correct ? "gained" : "lost",
        clip(r.prompt, 40),
        clip(r.base_output, 30) || "(empty)",
        clip(r.model_output, 30) || "(empty)",
      ]),
    ]),
  );
}
