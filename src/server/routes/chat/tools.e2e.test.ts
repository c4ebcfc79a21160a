/**
 * Functions and structured outputs end to end: a real listening server, the real engine with the
 * tiny model (random weights: what it says is noise, so the tests force calls with `tool_choice`
 * and rely on constrained decoding for calls that parse and validate), and the official `openai`
 * client. Every JSON response is checked against the served OpenAPI document at the end.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import OpenAI from "openai";
import { readLocalAdminKey } from "../../../auth/index.ts";
import { cliSandbox } from "../../../cli/__fixtures__/cli.ts";
import { InferenceEngine } from "../../../serving/index.ts";
import { checkContract, recording } from "../../__fixtures__/openai-client.ts";
import { type RunningServer, startServer } from "../../index.ts";

const { home, tiny } = cliSandbox("tailor-tools-e2e-", { HF_HUB_OFFLINE: "1" });

/** Short, bounded arguments: the tiny model's calls end well within max_tokens. */
const ORDER_PARAMS = {
  type: "object",
  properties: { order_id: { type: "string", pattern: "^A-[0-9]{3}$" } },
  required: ["order_id"],
  additionalProperties: false,
};
const REPAIR_PARAMS = {
  type: "object",
  properties: {
    bike: { type: "string", enum: ["road", "city", "mountain"] },
    urgent: { type: "boolean" },
  },
  required: ["bike", "urgent"],
  additionalProperties: false,
};
const TOOLS: OpenAI.ChatCompletionTool[] = [
  {
    type: "function",
    function: {
      name: "get_order_status",
      description: "Where an order is",
      parameters: ORDER_PARAMS,
    },
  },
  {
    type: "function",
    function: { name: "book_repair", description: "Book a repair", parameters: REPAIR_PARAMS },
  },
];
const PARAMS: Record<string, object> = {
  get_order_status: ORDER_PARAMS,
  book_repair: REPAIR_PARAMS,
};
const ask: OpenAI.ChatCompletionMessageParam[] = [
  { role: "user", content: "Where is my order A-123?" },
];
const settings = { model: "tiny", temperature: 0, seed: 7, max_tokens: 64 };
/**
 * One call per answer: allowed more, the tiny model goes on calling until max_tokens cuts it short
 * (finish_reason "length").
 */
const once = { tools: TOOLS, parallel_tool_calls: false };
const ajv = new Ajv2020({ strict: false });

let server: RunningServer;
let client: OpenAI;

/** Each call's arguments parse and validate against its function's parameters. */
function checkCalls(calls: OpenAI.ChatCompletionMessageToolCall[] | undefined) {
  assert.ok(calls?.length, "the model called a function");
  for (const call of calls) {
    assert.equal(call.type, "function");
    if (call.type !== "function") continue;
    assert.match(call.id, /^call_[A-Za-z0-9]{24}$/);
    const schema = PARAMS[call.function.name];
    assert.ok(schema, `${call.function.name} is one of the functions offered`);
    const args: unknown = JSON.parse(call.function.arguments);
    const validate = ajv.compile(schema);
    assert.ok(validate(args), `${call.function.arguments}: ${ajv.errorsText(validate.errors)}`);
  }
  return calls;
}

describe("functions and structured outputs with the real engine and the official SDK", () => {
  before(async () => {
    tiny();
    server = await startServer({
      home,
      port: 0,
      inference: new InferenceEngine({ env: { TAILOR_HOME: home, HF_HUB_OFFLINE: "1" } }),
    });
    client = new OpenAI({
      apiKey: readLocalAdminKey(home) ?? "",
      baseURL: `${server.url}/v1`,
      fetch: recording,
      maxRetries: 0,
    });
  });
  after(async () => server?.close());

  test("tool_choice required: a call that validates; streamed, the SDK assembles the same call", async () => {
    const body = { ...settings, ...once, messages: ask, tool_choice: "required" as const };
    const plain = await client.chat.completions.create(body);
    const choice = plain.choices[0];
    assert.equal(choice?.finish_reason, "tool_calls");
    assert.equal(choice?.message.content, null);
    const calls = checkCalls(choice?.message.tool_calls);

    const stream = client.chat.completions.stream(body);
    let fragments = 0;
    stream.on("tool_calls.function.arguments.delta", () => fragments++);
    const streamed = await stream.finalChatCompletion();
    assert.ok(fragments >= 1, "the arguments came in fragments");
    assert.equal(streamed.choices[0]?.finish_reason, "tool_calls");
    const again = checkCalls(streamed.choices[0]?.message.tool_calls);
    const fn = (cs: typeof calls) => cs.map((c) => (c.type === "function" ? c.function : null));
    assert.deepEqual(fn(again), fn(calls), "same seed, same calls");
  });

  test("tool_choice names a function, or none: words only", async () => {
    const named = await client.chat.completions.create({
      ...settings,
      ...once,
      messages: ask,
      tool_choice: { type: "function", function: { name: "book_repair" } },
    });
    const calls = checkCalls(named.choices[0]?.message.tool_calls);
    assert.deepEqual(
      calls.map((c) => c.type === "function" && c.function.name),
      calls.map(() => "book_repair"),
    );
    assert.equal(named.choices[0]?.finish_reason, "tool_calls");
    const parallel = await client.chat.completions.create({
      ...settings,
      messages: ask,
      tools: TOOLS,
      tool_choice: "required",
    });
    // the random model goes on calling until max_tokens; the call it was writing then comes back
    // as OpenAI returns one, with the arguments written so far: every call before it is valid
    const answer = parallel.choices[0];
    const all = answer?.message.tool_calls ?? [];
    const cut = answer?.finish_reason === "length" ? all.at(-1) : undefined;
    checkCalls(cut ? all.slice(0, -1) : all);
    if (cut?.type === "function") assert.ok(PARAMS[cut.function.name], cut.function.name);
    const none = await client.chat.completions.create({
      ...settings,
      max_tokens: 8,
      messages: ask,
      tools: TOOLS,
      tool_choice: "none",
    });
    assert.equal(none.choices[0]?.message.tool_calls, undefined);
    assert.equal(typeof none.choices[0]?.message.content, "string");
    assert.notEqual(none.choices[0]?.finish_reason, "tool_calls");
  });

  test("a tool result continues the conversation", async () => {
    const first = await client.chat.completions.create({
      ...settings,
      ...once,
      messages: ask,
      tool_choice: { type: "function", function: { name: "get_order_status" } },
    });
    const message = first.choices[0]?.message;
    const [call] = checkCalls(message?.tool_calls);
    assert.ok(message && call);
    const results: OpenAI.ChatCompletionMessageParam[] = (message.tool_calls ?? []).map((c) => ({
      role: "tool",
      tool_call_id: c.id,
      content: '{"status": "shipped", "eta": "tomorrow"}',
    }));
    const answer = await client.chat.completions.create({
      ...settings,
      max_tokens: 8,
      messages: [...ask, message, ...results],
      tools: TOOLS,
      tool_choice: "none",
    });
    assert.equal(typeof answer.choices[0]?.message.content, "string");
    const without = await client.chat.completions.create({
      ...settings,
      max_tokens: 1,
      messages: ask,
      tools: TOOLS,
      tool_choice: "none",
    });
    const [withCall, alone] = [answer.usage?.prompt_tokens ?? 0, without.usage?.prompt_tokens ?? 0];
    assert.ok(
      withCall > alone,
      `the call and its result are in the prompt (${withCall} > ${alone})`,
    );
    await assert.rejects(
      client.chat.completions.create({
        ...settings,
        messages: [...ask, { role: "tool", tool_call_id: "call_unknown", content: "42" }],
        tools: TOOLS,
      }),
      (e: unknown) =>
        e instanceof OpenAI.APIError && e.status === 400 && e.param === "messages[1].tool_call_id",
    );
  });

  test("response_format: a json_schema answer validates, a json_object answer is an object", async () => {
    const schema = {
      type: "object",
      properties: {
        size: { type: "string", enum: ["S", "M", "L"] },
        in_stock: { type: "boolean" },
      },
      required: ["size", "in_stock"],
      additionalProperties: false,
    };
    const r = await client.chat.completions.create({
      ...settings,
      messages: [{ role: "user", content: "Which size, and is it in stock?" }],
      response_format: {
        type: "json_schema",
        json_schema: { name: "stock", schema, strict: true },
      },
    });
    assert.equal(r.choices[0]?.finish_reason, "stop");
    const parsed: unknown = JSON.parse(r.choices[0]?.message.content ?? "");
    const validate = ajv.compile(schema);
    assert.ok(
      validate(parsed),
      `${r.choices[0]?.message.content}: ${ajv.errorsText(validate.errors)}`,
    );

    // Any object: the tiny model's random words never close its first key, so max_tokens cuts the
    // answer short; what there is must still be the start of a JSON object (SmolLM2 writes whole
    // objects, but takes a minute on a small CPU).
    const o = await client.chat.completions.create({
      ...settings,
      max_tokens: 16,
      messages: [{ role: "user", content: "Answer in JSON." }],
      response_format: { type: "json_object" },
    });
    const text = o.choices[0]?.message.content ?? "";
    assert.match(text, /^\s*\{\s*("|\})/, "an object, opening its first key or closing");
    if (o.choices[0]?.finish_reason === "stop") {
      const object: unknown = JSON.parse(text);
      assert.ok(object !== null && typeof object === "object" && !Array.isArray(object), text);
    } else assert.equal(o.choices[0]?.finish_reason, "length");
  });

  test("bad tool definitions get a 400 naming the field", async () => {
    const refused = async (tools: unknown, param: string, message: RegExp) =>
      assert.rejects(
        client.chat.completions.create({ ...settings, messages: ask, tools } as never),
        (e: unknown) => {
          assert.ok(e instanceof OpenAI.APIError, String(e));
          assert.equal(e.status, 400);
          assert.equal(e.param, param);
          assert.match(e.message, message);
          return true;
        },
      );
    const notSchema = [{ type: "function", function: { name: "f", parameters: { type: 12 } } }];
    await refused(notSchema, "tools[0].function.parameters.type", /not a valid JSON Schema/);
    await refused([TOOLS[0], TOOLS[0]], "tools[1].function.name", /defined twice/);
  });

  test("every response matches the OpenAPI document", async () => {
    assert.ok((await checkContract(server.url)) >= 8);
  });
});
