// A node:test reporter that writes how long each test file took (the sum of its top-level tests'
// durations, slowest first) to test-output/test-times.txt, so the files to make faster are known.
// run-ts-tests.mjs adds it beside the spec reporter; it prints nothing itself.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = join(root, "test-output", "test-times.txt");

export default async function* testTimes(source) {
  const perFile = new Map();
  for await (const event of source) {
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    const { nesting, file, details } = event.data;
    if (nesting !== 0 || !file) continue;
    const name = relative(root, file);
    const entry = perFile.get(name) ?? { ms: 0, failed: 0 };
    entry.ms += details?.duration_ms ?? 0;
    if (event.type === "test:fail") entry.failed += 1;
    perFile.set(name, entry);
  }
  const rows = [...perFile].sort((a, b) => b[1].ms - a[1].ms);
  const total = rows.reduce((s, [, e]) => s + e.ms, 0);
  const lines = [
    `# seconds per test file (top-level tests summed), slowest first; ${rows.length} files, ${(total / 1000).toFixed(0)} s in all`,
    ...rows.map(
      ([name, e]) =>
        `${(e.ms / 1000).toFixed(1).padStart(8)}  ${name}${e.failed ? `  (${e.failed} failed)` : ""}`,
    ),
  ];
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${lines.join("\n")}\n`);
}
