/**
 * The inference engine with the real Python engine and the tiny model: one process for many
 * requests, streaming, abort, errors that leave it running, embeddings, a killed process replaced.
 * A fake engine covers the protocol violations the real one should never commit.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { ChatMessage } from "../../protocol/index.ts";
import { cliSandbox } from "../cli/__fixtures__/cli.ts";
import { TailorError } from "../errors/index.ts";
import { type GenerateEvent, InferenceEngine } from "./index.ts";

const { home, tiny: makeTiny } = cliSandbox("tailor-serving-", { HF_HUB_OFFLINE: "1" });
const tiny = { kind: "hf_dir" as const, path: join(home, "models", "tiny") };
const hello: ChatMessage[] = [{ role: "user", content: "Hello" }];

async function collect(events: AsyncIterable<GenerateEvent>) {
  const deltas: Extract<GenerateEvent, { type: "delta" }>[] = [];
  const calls: Extract<GenerateEvent, { type: "tool_call_delta" }>[] = [];
  let result: Extract<GenerateEvent, { type: "result" }> | undefined;
  for await (const e of events) {
    if (e.type === "delta") deltas.push(e);
    else if (e.type === "tool_call_delta") calls.push(e);
    else result = e;
  }
  return { deltas, calls, result };
}

async function rejectsWith(p: Promise<unknown>, code: string, text: RegExp) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof TailorError, `expected a TailorError, got ${e}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, text);
    return true;
  });
}

describe("the inference engine with the real engine", () => {
  const engine = new InferenceEngine({
    maxModels: 2,
    env: { TAILOR_HOME: home, HF_HUB_OFFLINE: "1" },
  });
  before(() => makeTiny());
  after(() => engine.close());

  test("two generations run on one process; streamed deltas join to the result", async () => {
    const first = await collect(engine.generate({ base: tiny, messages: hello, max_tokens: 12 }));
    const pid = engine.pid;
    assert.ok(pid, "the engine process runs between requests");
    const second = await collect(engine.generate({ base: tiny, messages: hello, max_tokens: 12 }));
    assert.equal(engine.pid, pid, "the second generation did not restart the engine");
    const text = first.result?.choices[0]?.text ?? "";
    assert.ok(text.length > 0);
    assert.equal(first.deltas.map((d) => d.text).join(""), text);
    assert.deepEqual(second.result, first.result, "greedy generation is deterministic");
    assert.ok((first.result?.completion_tokens ?? 0) <= 12);
  });

  test("n choices stream by index, and stream: false sends only the result", async () => {
    const req = { base: tiny, messages: hello, max_tokens: 8, temperature: 1, seed: 3, n: 2 };
    const streamed = await collect(engine.generate(req));
    assert.equal(streamed.result?.choices.length, 2);
    for (const c of streamed.result?.choices ?? []) {
      const joined = streamed.deltas.filter((d) => d.index === c.index).map((d) => d.text);
      assert.equal(joined.join(""), c.text);
    }
    const quiet = await collect(engine.generate(req, { stream: false }));
    assert.deepEqual(quiet.deltas, []);
    assert.deepEqual(quiet.result, streamed.result, "a seed makes sampling repeatable");
  });

  test("aborting mid-generation ends the stream at once and the engine moves on", async () => {
    const abort = new AbortController();
    const pid = engine.pid;
    let deltas = 0;
    let abortedAt = 0;
    const long = { base: tiny, messages: hello, max_tokens: 1800 };
    for await (const e of engine.generate(long, { signal: abort.signal })) {
      assert.equal(e.type, "delta", "no result after the abort");
      if (++deltas === 3) {
        abortedAt = performance.now();
        abort.abort();
      }
    }
    assert.ok(performance.now() - abortedAt < 1000, "the iterable ended at once");
    // The engine runs one operation at a time: this one is quick only if the long one stopped.
    const t0 = performance.now();
    const next = await collect(engine.generate({ base: tiny, messages: hello, max_tokens: 4 }));
    assert.ok(performance.now() - t0 < 3000, `next request took ${performance.now() - t0} ms`);
    assert.equal(next.result?.choices[0]?.finish_reason, "length");
    assert.equal(engine.pid, pid);
  });

  test("a bad model path rejects with a clear error and the next request works", async () => {
    const pid = engine.pid;
    const missing = { kind: "hf_dir" as const, path: join(home, "models", "nope") };
    await rejectsWith(
      collect(engine.generate({ base: missing, messages: hello })),
      "model_not_found",
      /models\/nope does not exist/,
    );
    await rejectsWith(
      engine.countTokens({ base: tiny, adapterDir: home, messages: hello }),
      "model_corrupt",
      /adapter_config\.json/,
    );
    const n = await engine.countTokens({ base: tiny, messages: hello });
    const r = await collect(engine.generate({ base: tiny, messages: hello, max_tokens: 2 }));
    assert.equal(n, r.result?.prompt_tokens);
    assert.equal(engine.pid, pid, "errors do not restart the engine");
  });

  test("invalid arguments are refused before they reach the engine", async () => {
    await rejectsWith(
      collect(engine.generate({ base: tiny, messages: hello, temperature: 9 })),
      "invalid_argument",
      /temperature/,
    );
    await rejectsWith(engine.embed([]), "invalid_argument", /input/);
  });

  test("embeddings are 384-dimensional unit vectors; similar sentences are closer", async () => {
    const { data, prompt_tokens } = await engine.embed([
      "The cat sits on the mat.",
      "A kitten is sitting on a rug.",
      "Interest rates rose by half a point.",
    ]);
    const [a = [], b = [], c = []] = data;
    const dot = (u: number[], v: number[]) => u.reduce((s, x, i) => s + x * (v[i] ?? 0), 0);
    assert.equal(a.length, 384);
    assert.ok(Math.abs(dot(a, a) - 1) < 1e-4);
    assert.ok(dot(a, b) > dot(a, c) && dot(a, b) > dot(b, c));
    assert.ok(prompt_tokens > 3);
  });

  test("a killed engine fails the pending request with engine_crashed; the next one restarts it", async () => {
    const long = engine.generate({ base: tiny, messages: hello, max_tokens: 1800 });
    const pid = engine.pid;
    assert.ok(pid);
    const killed = (async () => {
      let deltas = 0;
      for await (const e of long) {
        if (e.type === "delta" && ++deltas === 1) process.kill(pid, "SIGKILL");
      }
    })();
    await rejectsWith(killed, "engine_crashed", /killed by SIGKILL/);
    const r = await collect(engine.generate({ base: tiny, messages: hello, max_tokens: 2 }));
    assert.ok(r.result);
    assert.ok(engine.pid && engine.pid !== pid, "a fresh process answered");
  });

  test("close() ends pending requests and the process; later requests are refused", async () => {
    const local = new InferenceEngine({ env: { TAILOR_HOME: home } });
    const stream = local.generate({ base: tiny, messages: hello, max_tokens: 1800 });
    const first = await stream.next();
    assert.equal(first.value?.type, "delta");
    const pid = local.pid;
    assert.ok(pid);
    const t0 = performance.now();
    await local.close();
    assert.ok(performance.now() - t0 < 5000, "the engine stopped its generation and exited");
    await rejectsWith(stream.next(), "cancelled", /was closed/);
    assert.throws(() => process.kill(pid, 0), "the process is gone");
    await rejectsWith(local.countTokens({ base: tiny, messages: hello }), "cancelled", /closed/);
  });
});

describe("the inference engine's protocol checks (fake engine)", () => {
  const FAKE = fileURLToPath(new URL("./__fixtures__/fake-serve-engine.mjs", import.meta.url));
  const fake = (mode: string) =>
    new InferenceEngine({ env: { TAILOR_PYTHON: FAKE, FAKE_ENGINE_MODE: mode } });
  const count = (e: InferenceEngine) => e.countTokens({ base: tiny, messages: hello });

  test("replies are routed by id and replies nobody waits for are ignored", async () => {
    const e = fake("ok");
    assert.deepEqual(await Promise.all([count(e), count(e)]), [7, 7]);
    await e.close();
  });

  test("functions pass through to the engine; streamed call fragments join to the result's calls", async () => {
    const e = fake("");
    const tools = [{ type: "function" as const, function: { name: "get_order_status" } }];
    const r = await collect(
      e.generate({ base: tiny, messages: hello, tools, tool_choice: "required" }),
    );
    await e.close();
    const [call] = r.result?.choices[0]?.tool_calls ?? [];
    assert.equal(call?.name, "get_order_status");
    assert.equal(r.calls[0]?.name, "get_order_status", "the first fragment names the function");
    assert.equal(r.calls[1]?.name, undefined);
    assert.equal(r.calls.map((c) => c.arguments).join(""), call?.arguments);
    assert.equal(r.result?.choices[0]?.finish_reason, "tool_calls");
  });

  for (const [mode, code, text] of [
    ["not-json", "engine_protocol", /not JSON: Loading weights/],
    ["old-protocol", "engine_protocol", /npm install/],
    ["failed-at-start", "out_of_memory", /no memory/],
    ["crash", "engine_crashed", /exited with code 3[\s\S]*RuntimeError: boom/],
    ["stray-error", "engine_protocol", /could not read an operation/],
    ["wrong-reply", "engine_protocol", /embeddings where token_count/],
  ] as const) {
    test(`${mode}: the request fails with ${code} and the next request tries again`, async () => {
      const e = fake(mode);
      await rejectsWith(count(e), code, text);
      await rejectsWith(count(e), code, text);
      await e.close();
    });
  }
});
