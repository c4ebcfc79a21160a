/**
 * One answer end to end: the real engine with the tiny model (random weights: its words are noise,
 * so the assistant's tool_choice forces the call, and constrained decoding makes its arguments
 * valid), the real HTTP caller behind its network guard, and a node:http server on 127.0.0.1 as the
 * function's endpoint (allowed as a private host, as an admin would allow it). A call of this
 * function takes the tiny model 36 tokens, hence max_tokens 40 (each generation has its own).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { FunctionCallRecord } from "../../../protocol/assistants.ts";
import { cliSandbox } from "../../cli/__fixtures__/cli.ts";
import { KnowledgeBase } from "../../knowledge/index.ts";
import { ModelRegistry } from "../../models/index.ts";
import { openServices, type Services } from "../../services/index.ts";
import { InferenceEngine } from "../../serving/index.ts";
import { endpoint } from "../__fixtures__/endpoint.ts";
import type { RuntimeHttpFunction, TurnEvent } from "../types.ts";
import { runTurn } from "./index.ts";

const { home, tiny } = cliSandbox("tailor-run-e2e-", { HF_HUB_OFFLINE: "1" });

const ORDER_PARAMS = {
  type: "object",
  properties: { order_id: { type: "string", pattern: "^A-[0-9]{3}$" } },
  required: ["order_id"],
  additionalProperties: false,
};

let engine: InferenceEngine;
let services: Services;
let port: number;
const api = endpoint();
const received = api.seen;

before(async () => {
  tiny();
  engine = new InferenceEngine({ env: { TAILOR_HOME: home, HF_HUB_OFFLINE: "1" } });
  services = openServices(home);
  port = await api.start();
});
after(async () => {
  await engine?.close();
  services?.close();
  await api.stop();
});

test("the tiny model calls the HTTP function it is told to, the endpoint gets it, then it answers", async () => {
  const fn: RuntimeHttpFunction = {
    kind: "http",
    name: "get_order",
    description: "Where an order is",
    parameters: ORDER_PARAMS,
    url: `http://127.0.0.1:${port}/orders`,
    method: "POST",
    timeout_ms: 5000,
    max_response_bytes: 4096,
    headers: [{ name: "X-Api-Key", value: "k-live-12345", secret: true }],
  };
  const audited: FunctionCallRecord[] = [];
  const events: TurnEvent[] = [];
  const knowledge = new KnowledgeBase(services.db, { embedder: engine, files: services.files });
  for await (const ev of runTurn(
    { inference: engine, knowledge },
    {
      model: new ModelRegistry(home).resolve("tiny"),
      instructions: "You are the order desk of a bike shop.",
      messages: [{ role: "user", content: "Where is my order A-123?" }],
      sampling: { temperature: 0, top_p: 1, top_k: 0, max_tokens: 40, seed: 7 },
      functions: [fn],
      toolChoice: { name: "get_order" },
      maxFunctionCalls: 1,
      network: { allowedHosts: [], privateHosts: [`127.0.0.1:${port}`] },
      knowledge: null,
      moderation: null,
      parallelToolCalls: false,
      signal: new AbortController().signal,
      onFunctionCall: (r) => audited.push(r),
    },
  ))
    events.push(ev);
  knowledge.close();

  const types = events.map((e) => e.type);
  assert.deepEqual(types.slice(0, 2), ["function_call", "function_result"], types.join(","));
  assert.equal(types.at(-1), "done");
  const done = events.at(-1) as Extract<TurnEvent, { type: "done" }>;

  // the endpoint saw the call: POST with schema-valid arguments and the secret header
  assert.equal(received.length, 1);
  const [request] = received;
  assert.equal(request?.method, "POST");
  assert.equal(request?.url, "/orders");
  assert.equal(request?.headers["x-api-key"], "k-live-12345");
  const args = JSON.parse(request?.body ?? "") as { order_id?: string };
  assert.match(args.order_id ?? "", /^A-[0-9]{3}$/);

  const [record] = done.function_calls;
  assert.equal(done.function_calls.length, 1);
  assert.equal(record?.status, "ok");
  assert.equal(record?.http_status, 200);
  assert.equal(record?.output, '{"status":"shipped","eta":"tomorrow"}');
  assert.deepEqual(audited, done.function_calls);
  assert.doesNotMatch(JSON.stringify(events), /k-live-12345/, "the secret is in no event");

  // then the model answered in words (the limit of one call reached: tool_choice none)
  assert.ok(["stop", "length"].includes(done.finish_reason), done.finish_reason);
  const text = events.flatMap((e) => (e.type === "text" ? [e.delta] : [])).join("");
  assert.equal(text, done.text);
  assert.ok(
    done.usage.input_tokens > 0 && done.usage.output_tokens > 0,
    JSON.stringify(done.usage),
  );
});
