#!/usr/bin/env node
// Runs the engine's pytest suite with the engine's interpreter (TAILOR_PYTHON or engine/.venv).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const engine = fileURLToPath(new URL("../engine/", import.meta.url));
const python = process.env.TAILOR_PYTHON || `${engine}.venv/bin/python`;
if (!existsSync(python)) {
  console.error(`The engine is not installed (${python} is missing): run \`npm install\` first.`);
  process.exit(1);
}
const r = spawnSync(
  python,
  ["-m", "pytest", "-q", "-p", "no:cacheprovider", ...process.argv.slice(2)],
  {
    cwd: engine,
    stdio: "inherit",
  },
);
// pytest exits 5 when it collected no test: that is a failure here, not a pass.
process.exit(r.status ?? 1);
