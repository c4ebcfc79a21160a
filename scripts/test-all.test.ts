import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { runSteps, STEPS, type Step, verdict } from "./test-all.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

/** A step that appends its name to LOG and exits with CODE (real processes, not a stub). */
function step(name: string, code: number, log: string): Step {
  return {
    name,
    command: process.execPath,
    args: [
      "-e",
      `require("fs").appendFileSync(${JSON.stringify(log)}, "${name}\\n"); process.exit(${code})`,
    ],
  };
}

test("every step runs even after one fails, and the verdict names each failed one", () => {
  const log = join(mkdtempSync(join(tmpdir(), "tailor-test-all-")), "ran");
  writeFileSync(log, "");
  const steps = [
    step("typecheck", 2, log),
    step("lint", 0, log),
    step("test:ts", 1, log),
    step("test:engine", 0, log),
  ];
  const outcomes = runSteps(steps, { stdio: "ignore" });
  assert.equal(readFileSync(log, "utf8"), "typecheck\nlint\ntest:ts\ntest:engine\n");
  assert.deepEqual(
    outcomes.map((o) => [o.name, o.status]),
    [
      ["typecheck", 2],
      ["lint", 0],
      ["test:ts", 1],
      ["test:engine", 0],
    ],
  );
  const lines = verdict(outcomes, steps.length);
  assert.match(lines.join("\n"), /2 of 4 steps failed/);
  assert.match(lines.join("\n"), /typecheck\s+FAILED \(exit 2\)/);
  assert.match(lines.join("\n"), /test:ts\s+FAILED \(exit 1\)/);
  assert.match(lines.join("\n"), /test:engine\s+passed/);
});

test("when all pass the verdict prints nothing, so pytest's summary stays the last line", () => {
  const log = join(mkdtempSync(join(tmpdir(), "tailor-test-all-")), "ran");
  const outcomes = runSteps([step("a", 0, log), step("b", 0, log)], { stdio: "ignore" });
  assert.deepEqual(verdict(outcomes, 2), []);
});

test("a missing command counts as a failed step; an interrupted one stops the rest", () => {
  const log = join(mkdtempSync(join(tmpdir(), "tailor-test-all-")), "ran");
  writeFileSync(log, "");
  const missing = { name: "gone", command: join(tmpdir(), "no-such-command-here"), args: [] };
  const killed = {
    name: "killed",
    command: process.execPath,
    args: ["-e", "process.kill(process.pid, 'SIGINT')"],
  };
  const outcomes = runSteps([missing, killed, step("after", 0, log)], { stdio: "ignore" });
  assert.deepEqual(
    outcomes.map((o) => [o.name, o.status]),
    [
      ["gone", 127],
      ["killed", "SIGINT"],
    ],
  );
  assert.equal(readFileSync(log, "utf8"), "");
  assert.match(
    verdict(outcomes, 3).join("\n"),
    /2 of 3 steps failed \(stopped after 2: interrupted\)/,
  );
});

test("npm test runs the package's own scripts, pytest last, and exits non-zero when a step fails", () => {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };
  assert.equal(pkg.scripts.test, "tsx scripts/test-all.ts");
  assert.deepEqual(
    STEPS.map((s) => s.name),
    ["typecheck", "lint", "test:ts", "test:engine"],
  );
  for (const s of STEPS) assert.ok(pkg.scripts[s.name], `package.json has no "${s.name}" script`);
  // the real entry point, with a PATH whose npm fails every step: all four are tried, then the verdict
  const bin = mkdtempSync(join(tmpdir(), "tailor-test-all-bin-"));
  writeFileSync(join(bin, "npm"), `#!/bin/sh\necho "ran $2" >> ${bin}/log\nexit 3\n`, {
    mode: 0o755,
  });
  const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "scripts/test-all.ts")], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
  });
  assert.equal(r.status, 1, r.stderr);
  assert.equal(
    readFileSync(join(bin, "log"), "utf8"),
    "ran typecheck\nran lint\nran test:ts\nran test:engine\n",
  );
  assert.match(r.stderr, /npm test: 4 of 4 steps failed/);
});
