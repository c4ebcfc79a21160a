import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { TailorError } from "../errors/index.ts";
import { allocatorEnv, mimallocLibrary } from "./allocator.ts";
import { enginePython } from "./paths.ts";
import { engineResult } from "./process.ts";

const onLinux = process.platform === "linux";
const python = enginePython();

test("npm install puts mimalloc in the engine's virtualenv, and the engine starts with it", {
  skip: !onLinux && "mimalloc is preloaded on Linux only",
}, async () => {
  const lib = mimallocLibrary(python);
  assert.ok(lib?.endsWith("/cmeel.prefix/lib/libmimalloc.so"), `found ${lib}`);
  const env = allocatorEnv(python, { PATH: "/usr/bin" });
  assert.deepEqual(env, { LD_PRELOAD: lib, MIMALLOC_PURGE_DELAY: "-1", MIMALLOC_ALLOW_THP: "0" });
  // the real engine, as every command starts it, says which malloc it runs with
  const report = await engineResult("doctor", {}, "doctor");
  assert.equal(report.allocator, "mimalloc");
  const system = await engineResult("doctor", {}, "doctor", {
    env: { TAILOR_ALLOCATOR: "system" },
  });
  assert.equal(system.allocator, "system");
});

test("TAILOR_ALLOCATOR chooses, and a preload the user set is left alone", () => {
  assert.deepEqual(allocatorEnv(python, { TAILOR_ALLOCATOR: "system" }), {});
  assert.deepEqual(allocatorEnv(python, { LD_PRELOAD: "/opt/mine.so" }), {});
  assert.deepEqual(allocatorEnv(python, {}, "darwin"), {});
  assert.deepEqual(allocatorEnv(python, { TAILOR_ALLOCATOR: python }, "linux"), {
    LD_PRELOAD: python,
  });
  if (onLinux) {
    const own = allocatorEnv(python, { MIMALLOC_PURGE_DELAY: "50", MIMALLOC_ALLOW_THP: "1" });
    assert.equal(own.MIMALLOC_PURGE_DELAY, "50", "mimalloc's own settings win");
    assert.equal(own.MIMALLOC_ALLOW_THP, "1", "mimalloc's own settings win");
  }
});

test("a TAILOR_ALLOCATOR that is not a library on disk is refused with what to give", () => {
  for (const wanted of ["tcmalloc", "/nonexistent/libtcmalloc.so.4"]) {
    assert.throws(
      () => allocatorEnv(python, { TAILOR_ALLOCATOR: wanted }, "linux"),
      (e: unknown) =>
        e instanceof TailorError &&
        e.code === "invalid_argument" &&
        e.message.includes(`TAILOR_ALLOCATOR=${wanted}`) &&
        e.message.includes("mimalloc, system, or the absolute path"),
    );
  }
});

test("a Python outside a virtualenv (TAILOR_PYTHON) runs with the system's malloc", () => {
  const dir = mkdtempSync(join(tmpdir(), "tailor-alloc-"));
  try {
    assert.equal(mimallocLibrary(join(dir, "bin", "python3")), null);
    assert.deepEqual(allocatorEnv(join(dir, "bin", "python3"), {}, "linux"), {});
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
