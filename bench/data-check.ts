/**
 * `tailor data check` must read a large file in constant memory. This checks files of 10 MB and
 * 100 MB (realistic chat examples, some with personal data and a few bad lines), each in its own
 * process, and compares peak memory and throughput side by side: constant memory means the 100 MB
 * file needs about as much memory as the 10 MB one, not ten times more.
 * Usage: npx tsx bench/data-check.ts [--sizes 10,100] [--json]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkData } from "../src/datasets/index.ts";
import { EngineNameFinder } from "../src/safety/index.ts";
import { InferenceEngine } from "../src/serving/index.ts";
import { makeSupportFile } from "./lib/support-file.ts";

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

async function child(file: string): Promise<void> {
  // names from the engine's named-entity model, as `tailor data check` finds them (its start included)
  const engine = new InferenceEngine();
  const started = performance.now();
  const report = await checkData(file, { names: new EngineNameFinder(engine) }).finally(() =>
    engine.close(),
  );
  const seconds = (performance.now() - started) / 1000;
  const mb = statSync(file).size / 1024 / 1024;
  console.log(
    JSON.stringify({
      mb,
      seconds,
      mb_per_second: mb / seconds,
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
      examples: report.examples,
      errors: report.errors.length,
      pii: Object.values(report.pii_counts).reduce((a, b) => a + (b ?? 0), 0),
    }),
  );
}

async function main(): Promise<void> {
  const childFile = arg("--child");
  if (childFile) return child(childFile);
  const sizes = (arg("--sizes") ?? "10,100").split(",").map(Number);
  const dir = mkdtempSync(join(tmpdir(), "tailor-bench-data-"));
  const rows: Record<string, number>[] = [];
  try {
    for (const size of sizes) {
      const file = join(dir, `${size}mb.jsonl`);
      makeSupportFile(file, size);
      const r = spawnSync(
        process.execPath,
        ["--import", "tsx", fileURLToPath(import.meta.url), "--child", file],
        { encoding: "utf8" },
      );
      if (r.status !== 0) throw new Error(r.stderr);
      rows.push(JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "{}") as Record<string, number>);
      rmSync(file);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const first = rows[0];
  const last = rows.at(-1);
  const result = {
    benchmark: "data-check",
    rows,
    memory_ratio_largest_to_smallest: (last?.peak_rss_mb ?? 0) / (first?.peak_rss_mb ?? 1),
    size_ratio: (last?.mb ?? 0) / (first?.mb ?? 1),
  };
  if (process.argv.includes("--json")) return console.log(JSON.stringify(result));
  console.log("file      examples   seconds   MB/s   peak memory");
  for (const r of rows)
    console.log(
      `${r.mb?.toFixed(0).padStart(4)} MB  ${String(r.examples).padStart(8)}  ${r.seconds?.toFixed(1).padStart(8)}  ${r.mb_per_second?.toFixed(1).padStart(5)}  ${r.peak_rss_mb?.toFixed(0).padStart(6)} MB`,
    );
  console.log(
    `a ${result.size_ratio.toFixed(0)}x larger file needed ${result.memory_ratio_largest_to_smallest.toFixed(2)}x the memory`,
  );
}

await main();
