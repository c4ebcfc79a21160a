import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import type { EngineMessage } from "../../protocol/index.ts";
import { TailorError } from "../errors/index.ts";
import { engineResult, runEngine } from "./process.ts";

const FAKE = fileURLToPath(new URL("./__fixtures__/fake-engine.mjs", import.meta.url));
const request = {
  base: { kind: "builtin" as const, name: "x" },
  messages: [{ role: "user" as const, content: "hi" }],
};

function env(mode: string) {
  return { TAILOR_PYTHON: FAKE, FAKE_ENGINE_MODE: mode };
}

async function rejectsWith(p: Promise<unknown>, code: string, text: RegExp) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof TailorError, `expected a TailorError, got ${e}`);
    assert.equal(e.code, code);
    assert.match(e.message, text);
    return true;
  });
}

test("a well-behaved engine's result comes back", async () => {
  const r = await engineResult("generate", request, "generation", { env: env("ok") });
  assert.equal(r.text, "ok");
});

test("a line that is not JSON is a protocol error that quotes the line", async () => {
  await rejectsWith(
    engineResult("generate", request, "generation", { env: env("not-json") }),
    "engine_protocol",
    /not JSON: Loading weights/,
  );
});

test("a message that breaks the schema is a protocol error naming the field", async () => {
  await rejectsWith(
    engineResult("generate", request, "generation", { env: env("bad-message") }),
    "engine_protocol",
    /step/,
  );
});

test("an engine that dies says how, with its last log lines", async () => {
  await rejectsWith(
    engineResult("generate", request, "generation", { env: env("crash") }),
    "engine_crashed",
    /exited with code 3[\s\S]*RuntimeError: boom/,
  );
});

test("an engine of another protocol version is refused", async () => {
  await rejectsWith(
    engineResult("generate", request, "generation", { env: env("old-protocol") }),
    "engine_protocol",
    /npm install/,
  );
});

test("the engine's own failure keeps its code and message", async () => {
  await rejectsWith(
    engineResult("generate", request, "generation", { env: env("failed") }),
    "data_invalid",
    /line 2/,
  );
});

test("aborting closes stdin and the engine reports that it stopped", async () => {
  const abort = new AbortController();
  const seen: EngineMessage["type"][] = [];
  for await (const m of runEngine("generate", request, {
    env: env("wait-for-stdin-close"),
    signal: abort.signal,
  })) {
    seen.push(m.type);
    if (m.type === "metrics") abort.abort();
  }
  assert.deepEqual(seen, ["hello", "metrics", "failed"]);
});

test("an engine that ignores stdin and SIGTERM is killed", async () => {
  const abort = new AbortController();
  const started = Date.now();
  const run = (async () => {
    for await (const m of runEngine("generate", request, {
      env: env("ignore-stdin-close"),
      signal: abort.signal,
      graceMs: { afterClose: 100, afterTerm: 100 },
    })) {
      if (m.type === "hello") abort.abort();
    }
  })();
  await rejectsWith(run, "cancelled", /killed by SIGKILL/);
  assert.ok(Date.now() - started < 5000);
});

test("a missing interpreter is reported with what to do", async () => {
  await rejectsWith(
    engineResult("doctor", {}, "doctor", { env: { TAILOR_PYTHON: "/nonexistent/python" } }),
    "engine_not_installed",
    /TAILOR_PYTHON/,
  );
});
