#!/usr/bin/env node
// Runs every *.test.ts under src/, protocol/ and scripts/ with node's test runner (Node 20 has no --test globs).
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const files = ["src", "protocol", "scripts"].flatMap((dir) =>
  readdirSync(join(root, dir), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith(".test.ts") && !f.includes("node_modules"))
    .map((f) => relative(root, join(root, dir, f))),
);
const r = spawnSync(
  process.execPath,
  [
    "--import",
    "tsx",
    "--test",
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    "--test-reporter=./scripts/test-times-reporter.mjs",
    "--test-reporter-destination=stdout",
    "--test-concurrency=2",
    ...files.sort(),
  ],
  // the general-ability set asks SmolLM2 72 questions per tested model: only its own tests ask them
  { cwd: root, stdio: "inherit", env: { TAILOR_GENERAL_SET: "off", ...process.env } },
);
process.exit(r.status ?? 1);
