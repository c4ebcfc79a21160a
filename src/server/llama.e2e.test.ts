/**
 * Chat through llama.cpp end to end: a real listening server with llama.cpp on (node-llama-cpp, two
 * threads), the real PyTorch engine beside it, the engine's real GGUF export, and the official
 * `openai` client. Which engine answered is seen from the PyTorch engine's side: it counts the
 * generations it was asked for (a subclass of the real engine), so an answer it did not count came
 * from llama.cpp.
 * - the built-in SmolLM2 answers through llama.cpp at once (its package's GGUF file): plain,
 *   streamed (the same greedy text), usage equal to the PyTorch engine's token count, a json_schema
 *   answer that parses; a request offering functions goes to PyTorch;
 * - a fine-tuned tiny model is answered by PyTorch while its f16 GGUF copy is made, then by
 *   llama.cpp, with the same greedy answer (it learned one answer well: no near ties);
 * - 8 requests at once all succeed (4 sequences batched + 4 queued), and one more while they run is
 *   refused with 429 and Retry-After.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import { readLocalAdminKey } from "../auth/index.ts";
import { CANNED, cliSandbox, supportJsonl } from "../cli/__fixtures__/cli.ts";
import { type GenerateEvent, type GenerateRequest, InferenceEngine } from "../serving/index.ts";
import { checkContract, recording } from "./__fixtures__/openai-client.ts";
import { type RunningServer, startServer } from "./index.ts";

const { home, tailor, file, tiny } = cliSandbox("tailor-llama-e2e-", { HF_HUB_OFFLINE: "1" });
const SMOL = "smollm2-135m-instruct";
const FT = "support-ft";

/** The real PyTorch engine, counting the generations it is asked for. */
class CountingEngine extends InferenceEngine {
  generations = 0;
  override async *generate(
    req: GenerateRequest,
    opts?: { signal?: AbortSignal | undefined; stream?: boolean | undefined },
  ): AsyncGenerator<GenerateEvent, void, undefined> {
    this.generations++;
    yield* super.generate(req, opts);
  }
}

interface Served {
  tailor: { serving: { engine: string; reason: string } | null };
}

let server: RunningServer;
let client: OpenAI;
const pytorch = new CountingEngine({ env: { TAILOR_HOME: home, HF_HUB_OFFLINE: "1" } });
const serving = async (id: string) =>
  ((await client.models.retrieve(id)) as unknown as Served).tailor.serving;

describe("chat through llama.cpp with the official SDK", () => {
  before(async () => {
    tiny();
    const trained = tailor(
      ...["train", "--base", "tiny", "--data", file("support.jsonl", supportJsonl())],
      ...["--epochs", "10", "--lr", "0.01", "--name", FT, "--wait"],
    );
    assert.equal(trained.code, 0, trained.stderr);
    server = await startServer({
      home,
      port: 0,
      worker: false,
      studioDir: null,
      inference: pytorch,
      llama: { on: true, threads: 2, sequences: 4, maxQueue: 4 },
      // eight answers at once on two loaded cores may take longer than the default two minutes
      limits: { requestTimeoutMs: 600_000 },
    });
    client = new OpenAI({
      apiKey: readLocalAdminKey(home) ?? "",
      baseURL: `${server.url}/v1`,
      fetch: recording,
      maxRetries: 0,
      timeout: 600_000,
    });
  });
  after(async () => {
    await server?.close();
  });

  test("the built-in SmolLM2 answers through llama.cpp at once; functions go to PyTorch", async () => {
    const info = await serving(SMOL);
    assert.equal(info?.engine, "llama.cpp", info?.reason);
    assert.match(info?.reason ?? "", /SmolLM2-135M-Instruct\.Q4_1\.gguf/);
    const messages = [{ role: "user" as const, content: "What is the capital of France?" }];
    const ask = { model: SMOL, messages, temperature: 0, max_tokens: 24 };
    const t0 = Date.now();
    const plain = await client.chat.completions.create(ask);
    const text = plain.choices[0]?.message.content ?? "";
    console.log(`llama.cpp: ${JSON.stringify(text)} in ${Date.now() - t0} ms (model loaded)`);
    assert.ok(text.length > 0);
    assert.equal(plain.usage?.completion_tokens, 24, "greedy to max_tokens, counted");

    const stream = await client.chat.completions.create({
      ...ask,
      stream: true,
      stream_options: { include_usage: true },
    });
    let streamed = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      streamed += chunk.choices[0]?.delta.content ?? "";
      usage = chunk.usage ?? usage;
    }
    assert.equal(streamed, text, "the same greedy answer, streamed");
    assert.deepEqual(usage, plain.usage);

    const json = await client.chat.completions.create({
      model: SMOL,
      messages: [{ role: "user", content: "Name a city in France as JSON." }],
      temperature: 0,
      max_tokens: 40,
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "city",
          strict: true,
          schema: {
            type: "object",
            properties: { city: { type: "string", maxLength: 20 } },
            required: ["city"],
            additionalProperties: false,
          },
        },
      },
    });
    const parsed = JSON.parse(json.choices[0]?.message.content ?? "") as { city: unknown };
    assert.equal(typeof parsed.city, "string");
    assert.equal(pytorch.generations, 0, "PyTorch answered none of them");
    assert.equal(pytorch.pid, undefined, "the PyTorch engine was not even started");

    const called = await client.chat.completions.create({
      ...ask,
      tools: [
        { type: "function", function: { name: "capital_of", parameters: { type: "object" } } },
      ],
      tool_choice: "none",
    });
    assert.ok(called.choices[0]?.message.content);
    assert.equal(pytorch.generations, 1, "the request offering functions went to PyTorch");
    const counted = await pytorch.countTokens({ base: { kind: "builtin", name: SMOL }, messages });
    assert.equal(plain.usage?.prompt_tokens, counted, "prompt tokens as the PyTorch engine counts");
  });

  test("a fine-tuned model: PyTorch while its GGUF copy is made, then llama.cpp, same greedy answer", async () => {
    const before = await serving(FT);
    assert.equal(before?.engine, "pytorch");
    assert.match(before?.reason ?? "", /made on its first chat request/);
    const ask = {
      model: FT,
      messages: [{ role: "user" as const, content: "My brakes squeal?" }],
      temperature: 0,
      max_tokens: 40,
    };
    const generations = pytorch.generations;
    const first = await client.chat.completions.create(ask);
    assert.equal(pytorch.generations, generations + 1, "PyTorch answered the first request");
    // the copy is being made now, unless it was made while PyTorch answered (a loaded machine)
    const building = await serving(FT);
    if (building?.engine === "pytorch") assert.match(building.reason, /being built|waits/);

    const end = Date.now() + 150_000;
    let info: Served["tailor"]["serving"] = building;
    while (info?.engine !== "llama.cpp") {
      assert.ok(Date.now() < end, `still not on llama.cpp: ${info?.reason}`);
      assert.doesNotMatch(info?.reason ?? "", /could not/);
      await new Promise((r) => setTimeout(r, 1000));
      info = await serving(FT);
    }
    assert.match(info.reason, /exported to GGUF \(f16\)/);
    const second = await client.chat.completions.create(ask);
    assert.equal(pytorch.generations, generations + 1, "llama.cpp answered the second");
    assert.equal(first.choices[0]?.message.content, CANNED, "it learned the answer");
    assert.equal(second.choices[0]?.message.content, first.choices[0]?.message.content);
    assert.equal(second.usage?.prompt_tokens, first.usage?.prompt_tokens);
  });

  test("8 requests at once all succeed; one more while they run is told to retry later (429)", async () => {
    const ask = (i: number) =>
      client.chat.completions.create({
        model: SMOL,
        messages: [{ role: "user", content: `Write a short story about bike number ${i}.` }],
        temperature: 0.7,
        seed: i,
        max_tokens: 24,
      });
    const started = Date.now();
    const eight = Array.from({ length: 8 }, (_, i) => ask(i));
    await new Promise((r) => setTimeout(r, 1000));
    const refused = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${readLocalAdminKey(home)}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ model: SMOL, messages: [{ role: "user", content: "Hi" }] }),
    });
    assert.equal(refused.status, 429);
    assert.match(refused.headers.get("retry-after") ?? "", /^[1-9]\d*$/);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, "rate_limited");
    const answers = await Promise.all(eight);
    const tokens = answers.reduce((n, a) => n + (a.usage?.completion_tokens ?? 0), 0);
    for (const a of answers) assert.ok(a.choices[0]?.message.content);
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `8 clients: ${tokens} tokens in ${seconds.toFixed(1)} s, ${(tokens / seconds).toFixed(1)} tokens/s in total`,
    );
    assert.equal(pytorch.generations, 2, "none of them went to PyTorch");
    assert.ok((await checkContract(server.url)) > 0);
  });
});
