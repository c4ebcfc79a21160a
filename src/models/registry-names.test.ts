import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { isTailorError } from "../errors/index.ts";
import { ModelRegistry } from "./registry.ts";

test("a model's folder is always directly inside TAILOR_HOME/models; other names are refused", () => {
  const home = mkdtempSync(join(tmpdir(), "tailor-registry-names-"));
  const registry = new ModelRegistry(home);
  assert.equal(
    registry.modelDir("ft:tiny:support:1a2b3c4d"),
    join(home, "models", "ft_tiny_support_1a2b3c4d"),
  );
  for (const name of ["..", "../x", "a/b", ".", "", "x\0y", "/etc", "a\\b"]) {
    assert.throws(
      () => registry.modelDir(name),
      (e: unknown) =>
        isTailorError(e) && e.code === "invalid_argument" && /is not a model name/.test(e.message),
      JSON.stringify(name),
    );
    // '..' is TAILOR_HOME itself, which exists: it must not count as a model
    assert.equal(registry.exists(name), false, JSON.stringify(name));
    assert.equal(registry.get(name), null);
  }
  for (const inherited of ["constructor", "toString", "__proto__"])
    assert.equal(registry.exists(inherited), false, `${inherited} is no built-in model`);
  assert.equal(registry.exists("smollm2-135m-instruct"), true);
});
