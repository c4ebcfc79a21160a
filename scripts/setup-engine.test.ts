import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** A copy of the set-up script and the requirement files in a fresh folder: no venv there yet. */
function freshCheckout(): string {
  const dir = mkdtempSync(join(tmpdir(), "tailor-setup-"));
  mkdirSync(join(dir, "scripts"));
  mkdirSync(join(dir, "engine"));
  copyFileSync(join(root, "scripts/setup-engine.mjs"), join(dir, "scripts/setup-engine.mjs"));
  for (const f of ["requirements.txt", "requirements-nodeps.txt", "requirements.lock"]) {
    copyFileSync(join(root, "engine", f), join(dir, "engine", f));
  }
  return dir;
}

test("without Python, the engine set-up fails with what to install", () => {
  const dir = freshCheckout();
  const bin = join(dir, "bin-node-only"); // a PATH with node and nothing else
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, "node"));
  const r = spawnSync(process.execPath, [join(dir, "scripts/setup-engine.mjs")], {
    encoding: "utf8",
    env: { PATH: bin, HOME: dir },
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /Python 3\.10 or newer was not found/);
  assert.match(r.stderr, /TAILOR_PYTHON/);
});

test("a TAILOR_PYTHON that does not exist is named", () => {
  const dir = freshCheckout();
  const r = spawnSync(process.execPath, [join(dir, "scripts/setup-engine.mjs")], {
    encoding: "utf8",
    env: { ...process.env, TAILOR_PYTHON: join(dir, "no-python") },
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /TAILOR_PYTHON=.*no-python cannot be run/);
});

test("a TAILOR_PYTHON with the engine's packages is accepted without installing anything", () => {
  const dir = freshCheckout();
  const r = spawnSync(process.execPath, [join(dir, "scripts/setup-engine.mjs")], {
    encoding: "utf8",
    env: { ...process.env, TAILOR_PYTHON: join(root, "engine/.venv/bin/python") },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /has the engine's packages/);
});
