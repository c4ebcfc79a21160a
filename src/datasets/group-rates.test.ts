import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { checkData } from "./check.ts";

const dir = mkdtempSync(join(tmpdir(), "tailor-group-rates-"));
let n = 0;
function file(lines: string[], ext = "jsonl"): string {
  const path = join(dir, `d${n++}.${ext}`);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}
const chat = (user: string, answer: string) =>
  JSON.stringify({
    messages: [
      { role: "user", content: user },
      { role: "assistant", content: answer },
    ],
  });
const WOMEN = ["Emily", "Anne", "Jill", "Allison", "Laurie", "Sarah"];
const MEN = ["Greg", "Brendan", "Geoffrey", "Brett", "Todd", "Matthew"];
/** Loan requests; `decide` gives each its answer. */
const loans = (decide: (woman: boolean, i: number) => string) =>
  [...WOMEN.map((w) => [w, true] as const), ...MEN.map((m) => [m, false] as const)].flatMap(
    ([name, woman], k) =>
      [0, 1].map((i) =>
        chat(
          `${name} ${i ? "has a steady job" : "has unpaid debts"} and asks for a loan for ${woman ? "her" : "his"} car.`,
          decide(woman, i + k),
        ),
      ),
  );
const gaps = (r: Awaited<ReturnType<typeof checkData>>) =>
  r.warnings.filter((w) => w.code === "group_label_gap");

test("chat answers that follow the person's gender: a warning with both rates and lines", async () => {
  const r = await checkData(file(loans((woman) => (woman ? "approve" : "deny"))));
  const [gap, ...more] = gaps(r);
  assert.equal(more.length, 0, JSON.stringify(more));
  assert.match(
    gap?.message ?? "",
    /^"approve" is the label of 100% of the 12 texts that mention only women or girls, against 0% of the 12 that mention only men or boys \(e\.g\. lines 1, 2 against 13, 14\)/,
  );
  assert.deepEqual(gap?.lines?.slice(0, 2), [1, 2]);
  assert.deepEqual(r.stats.group_rates?.gender?.female?.labels, { approve: 12 });
  assert.equal(r.stats.group_rates?.origin?.white?.texts, 24);
});

test("answers that follow something else: rates reported, no warning", async () => {
  const r = await checkData(file(loans((_, i) => (i % 2 ? "approve" : "deny"))));
  assert.deepEqual(gaps(r), []);
  assert.deepEqual(r.stats.group_rates?.gender?.male?.labels, { approve: 6, deny: 6 });
});

test("labelled texts too; a small gap, too few texts or free-text answers say nothing", async () => {
  // a CSV of labelled texts: religion decides
  const rows = Array.from({ length: 8 }, (_, i) => [
    `"A Christian family asks about visit ${i}",yes`,
    `"A Muslim family asks about visit ${i}",${i < 2 ? "yes" : "no"}`,
  ]).flat();
  const labelled = await checkData(file(["text,label", ...rows], "csv"));
  assert.match(
    gaps(labelled)[0]?.message ?? "",
    /^"no" is the label of 75% of the 8 texts that mention the religion Muslim and no other, against 0% of the 8 that mention the religion Christian and no other \(e\.g\. lines 3, 5 against 2, 4\)/,
  );
  // 4 of 6 against 3 of 6: a gap of 17 points is no warning
  const small = loans((woman, i) =>
    woman ? (i % 3 ? "approve" : "deny") : i % 2 ? "approve" : "deny",
  );
  assert.deepEqual(gaps(await checkData(file(small))), []);
  // free text is no label: nothing counted
  const free = await checkData(
    file(loans((woman) => `We will call ${woman ? "her" : "him"} back about the loan soon.`)),
  );
  assert.equal(free.stats.group_rates, undefined);
  assert.deepEqual(gaps(free), []);
});
