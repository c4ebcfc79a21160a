/**
 * Functions and structured outputs through `/v1/chat/completions`, with the official `openai`
 * client against a real server whose engine is the fake one (a canned call of the chosen function):
 * what the engine is asked for, how its calls come back in OpenAI's shapes (plain, streamed,
 * legacy `functions`), and the requests refused before generation with the field named. The real
 * engine's calls are proven in tools.e2e.test.ts.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";
import { readLocalAdminKey } from "../../../auth/index.ts";
import { cliSandbox } from "../../../cli/__fixtures__/cli.ts";
import { InferenceEngine } from "../../../serving/index.ts";
import { checkContract, recording } from "../../__fixtures__/openai-client.ts";
import { type RunningServer, startServer } from "../../index.ts";

const FAKE = fileURLToPath(
  new URL("../../../serving/__fixtures__/fake-serve-engine.mjs", import.meta.url),
);
const { home, tiny } = cliSandbox("tailor-chat-tools-");
const opsFile = join(home, "engine-ops.jsonl");

const ORDER = {
  type: "function" as const,
  function: {
    name: "get_order_status",
    description: "Where an order is",
    parameters: {
      type: "object",
      properties: { order_id: { type: "string" } },
      required: ["order_id"],
    },
  },
};
const REPAIR = {
  type: "function" as const,
  function: {
    name: "book_repair",
    parameters: { type: "object", properties: { bike: { type: "string" } } },
  },
};
const ask = [{ role: "user" as const, content: "Where is my order A-1?" }];

let server: RunningServer;
let client: OpenAI;

/** The `generate` operations the engine received since the test began. */
function engineOps(): Record<string, unknown>[] {
  return readFileSync(opsFile, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((op) => op.op === "generate");
}

/** The raw chunks of a streamed request, as sent on the wire. */
async function rawChunks(body: Record<string, unknown>): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${client.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ ...body, stream: true }),
  });
  assert.equal(res.status, 200);
  const lines = (await res.text()).split("\n").filter((l) => l.startsWith("data: "));
  assert.equal(lines.at(-1), "data: [DONE]");
  return lines.slice(0, -1).map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>);
}

async function refused(body: Record<string, unknown>, param: string, message: RegExp) {
  await assert.rejects(
    client.chat.completions.create({ model: "tiny", messages: ask, ...body } as never),
    (e: unknown) => {
      assert.ok(e instanceof OpenAI.APIError, String(e));
      assert.equal(e.status, 400, e.message);
      assert.equal(e.param, param, e.message);
      assert.match(e.message, message);
      return true;
    },
  );
}

describe("chat completions with functions (fake engine)", () => {
  before(async () => {
    tiny();
    writeFileSync(opsFile, "");
    server = await startServer({
      home,
      port: 0,
      inference: new InferenceEngine({
        env: { TAILOR_PYTHON: FAKE, FAKE_ENGINE_OPS: opsFile, FAKE_ENGINE_CALLS: "2" },
      }),
    });
    client = new OpenAI({
      apiKey: readLocalAdminKey(home) ?? "",
      baseURL: `${server.url}/v1`,
      fetch: recording,
      maxRetries: 0,
    });
  });
  beforeEach(() => writeFileSync(opsFile, ""));
  after(async () => server?.close());

  test("the engine gets the functions under constraint; the calls come back with ids, content null", async () => {
    const r = await client.chat.completions.create({
      model: "tiny",
      messages: ask,
      tools: [ORDER, REPAIR],
    });
    const [op] = engineOps();
    assert.deepEqual(op?.tools, [ORDER, REPAIR]);
    assert.equal(op?.tool_choice, "auto");
    assert.equal(op?.parallel_tool_calls, true);
    assert.equal(op?.constrained, true);
    const choice = r.choices[0];
    assert.equal(choice?.finish_reason, "tool_calls");
    assert.equal(choice?.message.content, null);
    const calls = choice?.message.tool_calls ?? [];
    assert.equal(calls.length, 2);
    for (const c of calls) {
      assert.match(c.id, /^call_[A-Za-z0-9]{24}$/);
      assert.equal(c.type, "function");
    }
    assert.notEqual(calls[0]?.id, calls[1]?.id);
    const fn = calls[0]?.type === "function" ? calls[0].function : undefined;
    assert.deepEqual(fn, { name: "get_order_status", arguments: '{"order_id":"A00"}' });
  });

  test("streamed, the SDK's helper assembles the same calls; the wire has OpenAI's fragments", async () => {
    const body = { model: "tiny", messages: ask, tools: [ORDER], tool_choice: "required" as const };
    const stream = client.chat.completions.stream(body);
    const streamed = await stream.finalChatCompletion();
    const plain = await client.chat.completions.create(body);
    const strip = (calls: unknown[] | undefined) =>
      calls?.map((c) => ({ ...(c as object), id: "" }));
    assert.deepEqual(
      strip(streamed.choices[0]?.message.tool_calls),
      strip(plain.choices[0]?.message.tool_calls),
    );
    assert.equal(streamed.choices[0]?.finish_reason, "tool_calls");

    const chunks = await rawChunks(body);
    type Fragment = { index: number; id?: string; type?: string; function: object };
    const deltas = chunks.map(
      (c) =>
        (
          c.choices as {
            delta: { role?: string; tool_calls?: Fragment[] };
            finish_reason: string;
          }[]
        )[0],
    );
    assert.deepEqual(deltas[0]?.delta.tool_calls?.[0], {
      index: 0,
      id: deltas[0]?.delta.tool_calls?.[0]?.id,
      type: "function",
      function: { name: "get_order_status", arguments: "" },
    });
    assert.equal(deltas[0]?.delta.role, "assistant");
    const later = deltas.slice(1).flatMap((d) => d?.delta.tool_calls ?? []);
    assert.ok(later.length >= 2, "arguments follow in fragments");
    const firsts = later.filter((f) => f.id !== undefined);
    assert.equal(firsts.length, 1, "call 1 opens once; fragments carry no id");
    const args = later
      .filter((f) => f.index === 0 && f.id === undefined)
      .map((f) => (f.function as { arguments: string }).arguments)
      .join("");
    assert.equal(args, '{"order_id":"A00"}');
    assert.equal(deltas.at(-1)?.finish_reason, "tool_calls");
  });

  test("tool_choice and parallel_tool_calls reach the engine", async () => {
    const named = await client.chat.completions.create({
      model: "tiny",
      messages: ask,
      tools: [ORDER, REPAIR],
      tool_choice: { type: "function", function: { name: "book_repair" } },
      parallel_tool_calls: false,
    });
    const calls = named.choices[0]?.message.tool_calls ?? [];
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.type === "function" && calls[0].function.name, "book_repair");
    const none = await client.chat.completions.create({
      model: "tiny",
      messages: ask,
      tools: [ORDER],
      tool_choice: "none",
    });
    assert.equal(none.choices[0]?.message.content, "a fake answer");
    assert.equal(none.choices[0]?.message.tool_calls, undefined);
    assert.equal(none.choices[0]?.finish_reason, "stop");
    const [a, b] = engineOps();
    assert.deepEqual(a?.tool_choice, { type: "function", function: { name: "book_repair" } });
    assert.equal(a?.parallel_tool_calls, false);
    assert.equal(b?.tool_choice, "none");
  });

  test("a tool result continues the conversation; the engine sees the call and its answer", async () => {
    const first = await client.chat.completions.create({
      model: "tiny",
      messages: ask,
      tools: [ORDER],
    });
    const message = first.choices[0]?.message;
    assert.ok(message?.tool_calls?.[0]);
    const id = message.tool_calls[0].id;
    const r = await client.chat.completions.create({
      model: "tiny",
      messages: [
        ...ask,
        message,
        { role: "tool", tool_call_id: id, content: '{"status": "shipped"}' },
      ],
      tools: [ORDER],
      tool_choice: "none",
    });
    assert.equal(r.choices[0]?.message.content, "a fake answer");
    const sent = engineOps().at(-1)?.messages as Record<string, unknown>[];
    assert.deepEqual(sent.slice(1), [
      { role: "assistant", content: "", tool_calls: message.tool_calls },
      { role: "tool", content: '{"status": "shipped"}', tool_call_id: id },
    ]);
  });

  test("legacy functions answer with function_call, plain and streamed", async () => {
    const body = {
      model: "tiny",
      messages: ask,
      functions: [ORDER.function, REPAIR.function],
      function_call: { name: "book_repair" },
    };
    const plain = await client.chat.completions.create(body);
    assert.equal(plain.choices[0]?.finish_reason, "function_call");
    assert.deepEqual(plain.choices[0]?.message.function_call, {
      name: "book_repair",
      arguments: '{"order_id":"A00"}',
    });
    assert.equal(plain.choices[0]?.message.tool_calls, undefined);
    const streamed = await client.chat.completions.stream(body).finalChatCompletion();
    assert.deepEqual(
      streamed.choices[0]?.message.function_call,
      plain.choices[0]?.message.function_call,
    );
    const op = engineOps()[0];
    assert.deepEqual(
      op?.tools,
      [ORDER, REPAIR].map((t) => ({ type: "function", function: t.function })),
    );
    assert.equal(op?.parallel_tool_calls, false);

    // The legacy conversation: the call and the `function` message answering it are linked.
    await client.chat.completions.create({
      model: "tiny",
      messages: [
        ...ask,
        {
          role: "assistant",
          content: null,
          function_call: { name: "book_repair", arguments: "{}" },
        },
        { role: "function", name: "book_repair", content: "booked" },
      ],
      functions: [REPAIR.function],
    });
    const sent = (engineOps().at(-1)?.messages ?? []) as Record<string, unknown>[];
    const [call, answer] = sent.slice(1);
    const callId = ((call?.tool_calls ?? []) as { id: string }[])[0]?.id;
    assert.ok(callId);
    assert.deepEqual(answer, { role: "tool", content: "booked", tool_call_id: callId });
  });

  test("response_format reaches the engine", async () => {
    const format = {
      type: "json_schema" as const,
      json_schema: {
        name: "answer",
        strict: true,
        schema: { type: "object", properties: { answer: { type: "string" } } },
      },
    };
    const r = await client.chat.completions.create({
      model: "tiny",
      messages: ask,
      response_format: format,
    });
    assert.equal(r.choices[0]?.message.content, '{"answer": "fake"}');
    assert.deepEqual(engineOps()[0]?.response_format, format);
    await client.chat.completions.create({
      model: "tiny",
      messages: ask,
      response_format: { type: "text" },
    });
    assert.equal(engineOps()[1]?.response_format, undefined, "text is no constraint");
  });

  test("requests OpenAI refuses get a 400 naming the field", async () => {
    const bad = { type: "function", function: { name: "f", parameters: { type: 12 } } };
    await refused({ tools: [bad] }, "tools[0].function.parameters.type", /./);
    await refused({ tools: [ORDER, ORDER] }, "tools[1].function.name", /defined twice/);
    await refused({ tools: [] }, "tools", /empty/);
    await refused({ tool_choice: "required" }, "tool_choice", /tools/);
    await refused(
      { tools: [ORDER], tool_choice: { type: "function", function: { name: "nope" } } },
      "tool_choice.function.name",
      /no function named "nope"/,
    );
    await refused(
      { functions: [{ name: "f", parameters: { type: "object", properties: 3 } }] },
      "functions[0].parameters.properties",
      /./,
    );
    await refused({ functions: [ORDER.function], tools: [ORDER] }, "functions", /not both/);
    await refused(
      {
        response_format: {
          type: "json_schema",
          json_schema: { name: "x", schema: { type: "objekt" } },
        },
      },
      "response_format.json_schema.schema.type",
      /./,
    );
    await refused(
      { messages: [...ask, { role: "tool", tool_call_id: "call_nope", content: "42" }] },
      "messages[1].tool_call_id",
      /answers no call/,
    );
    await refused(
      { messages: [...ask, { role: "tool", content: "42" }] },
      "messages[1].tool_call_id",
      /needs the id/,
    );
    await refused(
      { messages: [{ role: "user", content: null }] },
      "messages[0].content",
      /needs content/,
    );
    await refused(
      {
        messages: [
          ...ask,
          {
            role: "assistant",
            content: null,
            tool_calls: [
              { id: "call_1", type: "function", function: { name: "f", arguments: "{oops" } },
            ],
          },
        ],
      },
      "messages[1].tool_calls[0].function.arguments",
      /not a JSON text/,
    );
    assert.deepEqual(engineOps(), [], "nothing refused reached the engine");
  });

  test("every response matches the OpenAPI document", async () => {
    assert.ok((await checkContract(server.url)) > 5);
  });
});
