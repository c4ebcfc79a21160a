/**
 * Names in personal data, before and after side by side: the finder Tailor had (compromise's tagger
 * behind a capitalisation pre-filter, bench/lib/compromise-names.ts) against the engine's named-entity
 * model (spaCy's en_core_web_sm through serve's find_names), both through the same findPiiBatch.
 * 1. Recall and precision on src/safety/__fixtures__/names-eval.jsonl (164 texts, 133 names):
 *    exact spans, and overlapping ones (a name counts as found when a found span overlaps it; a found
 *    span is right when it overlaps a name), recall per kind of text, false names on look-alikes.
 * 2. `tailor data check`'s throughput on the 10 MB file of bench/data-check.ts (the same generator),
 *    and on the same file with a person's name in every question: each finder in its own process;
 *    the engine's start (process, PyTorch, spaCy) is timed apart from the check.
 * Usage: npx tsx bench/names.ts [--mb 10] [--skip-throughput] [--json]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkData } from "../src/datasets/index.ts";
import { EngineNameFinder, findPiiBatch, type NameFinder } from "../src/safety/index.ts";
import { InferenceEngine } from "../src/serving/index.ts";
import { CompromiseNameFinder } from "./lib/compromise-names.ts";
import { makeSupportFile } from "./lib/support-file.ts";

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const EVAL = fileURLToPath(new URL("../src/safety/__fixtures__/names-eval.jsonl", import.meta.url));
const FINDERS = ["compromise", "engine"] as const;
type Finder = (typeof FINDERS)[number];

interface Labelled {
  text: string;
  kind: string;
  names: string[];
}

/** Each name's span: its first occurrence after the previous name's. */
function spans(row: Labelled): [number, number][] {
  let at = 0;
  return row.names.map((n) => {
    const start = row.text.indexOf(n, at);
    if (start < 0) throw new Error(`${EVAL}: "${n}" is not in "${row.text}"`);
    at = start + n.length;
    return [start, at];
  });
}

async function evaluate(names: NameFinder) {
  const rows = readFileSync(EVAL, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Labelled);
  const started = performance.now();
  const found = await findPiiBatch(
    rows.map((r) => r.text),
    { names },
  );
  const seconds = (performance.now() - started) / 1000;
  const t = { exact: { tp: 0, fp: 0, fn: 0 }, overlap: { tp: 0, fp: 0, fn: 0 } };
  const perKind: Record<string, { names: number; found: number; false: number }> = {};
  rows.forEach((row, i) => {
    const gold = spans(row);
    const pred = (found[i] ?? []).filter((f) => f.type === "PERSON").map((f) => [f.start, f.end]);
    perKind[row.kind] ??= { names: 0, found: 0, false: 0 };
    const k = perKind[row.kind] ?? { names: 0, found: 0, false: 0 };
    const overlaps = (a: number[], b: number[]) =>
      (a[0] ?? 0) < (b[1] ?? 0) && (b[0] ?? 0) < (a[1] ?? 0);
    const same = (a: number[], b: number[]) => a[0] === b[0] && a[1] === b[1];
    k.names += gold.length;
    for (const g of gold) {
      t.exact[pred.some((p) => same(p, g)) ? "tp" : "fn"]++;
      const hit = pred.some((p) => overlaps(p, g));
      t.overlap[hit ? "tp" : "fn"]++;
      if (hit) k.found++;
    }
    for (const p of pred) {
      if (!gold.some((g) => same(p, g))) t.exact.fp++;
      if (gold.some((g) => overlaps(p, g))) continue;
      t.overlap.fp++;
      k.false++;
    }
  });
  const pr = (c: { tp: number; fp: number; fn: number }) => ({
    precision: c.tp / (c.tp + c.fp),
    recall: c.tp / (c.tp + c.fn),
    ...c,
  });
  return { texts: rows.length, seconds, exact: pr(t.exact), overlap: pr(t.overlap), perKind };
}

const PEOPLE = [
  "Maria Gonzalez",
  "Chukwuemeka Obi",
  "Wang Fang",
  "Priya Sharma",
  "Agnieszka Nowak",
  "Nguyen Thi Hoa",
  "Youssef Haddad",
  "John Smith",
];

async function withFinder<T>(
  finder: Finder,
  fn: (names: NameFinder, startSeconds: number) => Promise<T>,
) {
  if (finder === "compromise") return fn(new CompromiseNameFinder(), 0);
  const engine = new InferenceEngine();
  try {
    const names = new EngineNameFinder(engine);
    const started = performance.now();
    await names.findNames(["Maria here."]); // starts the process and loads the model
    return await fn(names, (performance.now() - started) / 1000);
  } finally {
    await engine.close();
  }
}

async function child(finder: Finder, file: string): Promise<void> {
  const row = await withFinder(finder, async (names, start_seconds) => {
    const started = performance.now();
    const report = await checkData(file, { names });
    const seconds = (performance.now() - started) / 1000;
    const mb = statSync(file).size / 1024 / 1024;
    return {
      finder,
      mb,
      examples: report.examples,
      seconds,
      mb_per_second: mb / seconds,
      start_seconds,
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
      person: report.pii_counts.PERSON ?? 0,
      email: report.pii_counts.EMAIL ?? 0,
    };
  });
  console.log(JSON.stringify(row));
}

function runChild(finder: Finder, file: string): Record<string, number | string> {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", fileURLToPath(import.meta.url), "--child", finder, file],
    { encoding: "utf8", maxBuffer: 1 << 26 },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "{}") as Record<string, number | string>;
}

async function main(): Promise<void> {
  const childFinder = arg("--child") as Finder | undefined;
  if (childFinder)
    return child(childFinder, process.argv[process.argv.indexOf("--child") + 2] ?? "");
  const quality: Record<string, Awaited<ReturnType<typeof evaluate>>> = {};
  for (const finder of FINDERS)
    quality[finder] = await withFinder(finder, (names) => evaluate(names));
  const throughput: { file: string; rows: Record<string, number | string>[] }[] = [];
  if (!process.argv.includes("--skip-throughput")) {
    const mb = Number(arg("--mb") ?? 10);
    const dir = mkdtempSync(join(tmpdir(), "tailor-bench-names-"));
    try {
      for (const withNames of [false, true]) {
        const file = join(dir, withNames ? "names.jsonl" : "plain.jsonl");
        makeSupportFile(
          file,
          mb,
          withNames ? (i) => `This is ${PEOPLE[i % PEOPLE.length]}. ` : undefined,
        );
        throughput.push({
          file: withNames
            ? `${mb} MB, a name in every question`
            : `${mb} MB (bench/data-check.ts's)`,
          rows: FINDERS.map((f) => runChild(f, file)),
        });
        rmSync(file);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const result = { benchmark: "names", quality, throughput };
  if (process.argv.includes("--json")) return console.log(JSON.stringify(result));
  const [before, after] = [quality.compromise, quality.engine];
  if (!before || !after) return;
  const f = (x: number) => x.toFixed(3);
  console.log(`names-eval.jsonl: ${after.texts} texts\n`);
  console.log("measure                          compromise   engine    engine/compromise");
  for (const [label, key] of [
    ["precision (exact spans)", "exact"],
    ["recall (exact spans)", "exact"],
    ["precision (overlapping)", "overlap"],
    ["recall (overlapping)", "overlap"],
  ] as const) {
    const m = label.startsWith("precision") ? "precision" : "recall";
    const [b, a] = [before[key][m], after[key][m]];
    console.log(
      `${label.padEnd(32)} ${f(b).padStart(10)} ${f(a).padStart(8)} ${(a / b).toFixed(2).padStart(10)}x`,
    );
  }
  console.log("\nrecall by kind of text (overlapping; false names for look-alikes)");
  for (const [kind, a] of Object.entries(after.perKind)) {
    const b = before.perKind[kind];
    const cell = (x: typeof a | undefined) =>
      x && x.names > 0 ? `${x.found}/${x.names}` : `${x?.false ?? 0} false`;
    console.log(`  ${kind.padEnd(16)} ${cell(b).padStart(10)} ${cell(a).padStart(10)}`);
  }
  for (const t of throughput) {
    console.log(`\ndata check, ${t.file}`);
    console.log("finder       examples  seconds   MB/s  engine start  names found  peak memory");
    for (const r of t.rows)
      console.log(
        `${String(r.finder).padEnd(11)} ${String(r.examples).padStart(9)} ${Number(r.seconds).toFixed(1).padStart(8)} ${Number(r.mb_per_second).toFixed(2).padStart(6)} ${Number(r.start_seconds).toFixed(1).padStart(12)}s ${String(r.person).padStart(12)} ${Number(r.peak_rss_mb).toFixed(0).padStart(9)} MB`,
      );
    const [b, a] = t.rows;
    console.log(
      `engine / compromise throughput: ${(Number(a?.mb_per_second) / Number(b?.mb_per_second)).toFixed(2)}x`,
    );
  }
}

await main();
