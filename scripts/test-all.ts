/**
 * `npm test`: every suite, even after one fails (typecheck, lint, the TypeScript tests with the
 * browser ones, the engine's pytest), then which failed. pytest runs last and nothing is printed
 * after it when all pass, so the output still ends with its summary (CI reads the runners' last lines).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";

export interface Step {
  name: string;
  command: string;
  args: string[];
}

export interface Outcome {
  name: string;
  /** the exit status, or the signal that ended it */
  status: number | NodeJS.Signals;
  seconds: number;
}

const root = fileURLToPath(new URL("..", import.meta.url));

/** The package's own scripts, so `npm run test:ts` and the rest stay what `npm test` runs. */
export const STEPS: Step[] = ["typecheck", "lint", "test:ts", "test:engine"].map((name) => ({
  name,
  command: "npm",
  args: ["run", name],
}));

/**
 * Runs each step in turn, whatever the previous ones did; stops early only when a step was
 * interrupted (Ctrl-C), since its user asked to stop.
 */
export function runSteps(
  steps: Step[],
  options: { cwd?: string; stdio?: "inherit" | "ignore" } = {},
): Outcome[] {
  const outcomes: Outcome[] = [];
  for (const step of steps) {
    const started = Date.now();
    const r = spawnSync(step.command, step.args, {
      cwd: options.cwd ?? root,
      stdio: options.stdio ?? "inherit",
    });
    const status = r.error ? 127 : (r.status ?? r.signal ?? 1);
    outcomes.push({ name: step.name, status, seconds: (Date.now() - started) / 1000 });
    if (r.signal === "SIGINT" || r.signal === "SIGTERM") break;
  }
  return outcomes;
}

/** Nothing when every step passed; otherwise the lines that say which failed and how. */
export function verdict(outcomes: Outcome[], planned: number): string[] {
  const failed = outcomes.filter((o) => o.status !== 0);
  if (failed.length === 0 && outcomes.length === planned) return [];
  const lines = [
    "",
    `npm test: ${failed.length} of ${planned} steps failed` +
      (outcomes.length < planned ? ` (stopped after ${outcomes.length}: interrupted)` : ""),
  ];
  for (const o of outcomes) {
    const how =
      o.status === 0
        ? "passed"
        : `FAILED (${typeof o.status === "number" ? `exit ${o.status}` : o.status})`;
    lines.push(`  ${o.name.padEnd(12)} ${how} in ${o.seconds.toFixed(0)} s`);
  }
  lines.push("Scroll up to each failed step's own report; rerun one alone with `npm run <step>`.");
  return lines;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const outcomes = runSteps(STEPS);
  const lines = verdict(outcomes, STEPS.length);
  if (lines.length > 0) {
    console.error(lines.join("\n"));
    process.exit(1);
  }
}
