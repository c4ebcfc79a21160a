/**
 * `/v1/responses` end to end: a real listening server, the real engine with the tiny model (random
 * weights: its words are noise, so the tests look at shapes, counts, calls and citations, force
 * calls with tool_choice, and rely on constrained decoding for arguments that validate), and the
 * official `openai` client's `responses.create/stream/retrieve/delete/inputItems.list`. An
 * assistant's HTTP function is served by a node:http server on 127.0.0.1 (allowed as a private
 * host, as an admin would). Every JSON response is checked against the served OpenAPI document.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import OpenAI, { toFile } from "openai";
import type { ResponseStreamEvent } from "openai/resources/responses/responses";
import { endpoint } from "../assistants/__fixtures__/endpoint.ts";
import { readLocalAdminKey } from "../auth/index.ts";
import { cliSandbox } from "../cli/__fixtures__/cli.ts";
import { makePdf } from "../knowledge/__fixtures__/documents.ts";
import { openServices, type Services } from "../services/index.ts";
import { InferenceEngine } from "../serving/index.ts";
import { checkContract, fails, recording } from "./__fixtures__/openai-client.ts";
import { type RunningServer, startServer } from "./index.ts";

const { home, tiny } = cliSandbox("tailor-responses-e2e-", { HF_HUB_OFFLINE: "1" });

const ORDER_PARAMS = {
  type: "object",
  properties: { order_id: { type: "string", pattern: "^A-[0-9]{3}$" } },
  required: ["order_id"],
  additionalProperties: false,
};
/** Short answers; a call of ORDER_PARAMS takes the tiny model 36 tokens, hence 40 with functions. */
const SHORT = { model: "tiny", temperature: 0, max_output_tokens: 8 } as const;
const CALLS = 40;

let server: RunningServer;
let services: Services;
let port: number;
let client: OpenAI;
let bob: OpenAI;
const api = endpoint();
const received = api.seen;

before(async () => {
  tiny();
  port = await api.start();
  server = await startServer({
    home,
    port: 0,
    worker: false,
    studioDir: null,
    inference: new InferenceEngine({ env: { TAILOR_HOME: home, HF_HUB_OFFLINE: "1" } }),
    functionPrivateHosts: [`127.0.0.1:${port}`],
  });
  services = openServices(home);
  const options = { baseURL: `${server.url}/v1`, fetch: recording, maxRetries: 0 };
  client = new OpenAI({ apiKey: readLocalAdminKey(home) ?? "", ...options });
  bob = new OpenAI({
    apiKey: services.keys.create({ name: "bob", role: "member" }).key,
    ...options,
  });
});
after(async () => {
  services?.close();
  await server?.close();
  await api.stop();
});

/** The SDK's response without what it adds of its own (output_text, parsed outputs). */
function plain(response: object): unknown {
  return JSON.parse(
    JSON.stringify(response, (key, value) =>
      ["output_text", "output_parsed", "parsed_arguments"].includes(key) ? undefined : value,
    ),
  );
}

describe("POST /v1/responses with the official SDK", () => {
  test("plain: an answer with its usage, stored: retrieve, input items, delete", async () => {
    const r = await client.responses.create({ ...SHORT, input: "Say hello to the class." });
    assert.match(r.id, /^resp_[0-9a-f]{32}$/);
    assert.equal(r.object, "response");
    assert.equal(r.model, "tiny");
    assert.ok(r.output_text.length > 0, "the SDK's output_text has the answer");
    const [message] = r.output;
    assert.equal(message?.type, "message");
    const u = r.usage;
    assert.ok(
      u && u.input_tokens > 5 && u.output_tokens > 0 && u.output_tokens <= 8,
      JSON.stringify(u),
    );
    assert.equal(u?.total_tokens, (u?.input_tokens ?? 0) + (u?.output_tokens ?? 0));
    if (r.status === "incomplete") assert.equal(r.incomplete_details?.reason, "max_output_tokens");
    else assert.equal(r.status, "completed");
    assert.equal(r.max_output_tokens, 8);
    assert.equal((r as unknown as { store: boolean }).store, true);

    assert.deepEqual(plain(await client.responses.retrieve(r.id)), plain(r));
    const items = await client.responses.inputItems.list(r.id);
    assert.equal(items.data.length, 1);
    const [asked] = items.data;
    assert.equal(asked?.type === "message" && asked.role, "user");
    assert.deepEqual(asked?.type === "message" && asked.content, [
      { type: "input_text", text: "Say hello to the class." },
    ]);

    await fails(bob.responses.retrieve(r.id), 404, /no response/);
    await client.responses.delete(r.id);
    await fails(client.responses.retrieve(r.id), 404, /no response/);

    const unstored = await client.responses.create({ ...SHORT, input: "hi", store: false });
    await fails(client.responses.retrieve(unstored.id), 404);
  });

  test("streamed: OpenAI's typed events in order; the last one's response is what retrieve gives", async () => {
    const stream = await client.responses.create({
      ...SHORT,
      input: "Tell a story.",
      stream: true,
    });
    const events: ResponseStreamEvent[] = [];
    for await (const ev of stream) events.push(ev);
    const types = events.map((e) => e.type);
    assert.deepEqual(
      events.map((e) => e.sequence_number),
      events.map((_, i) => i),
    );
    const last = events.at(-1);
    assert.ok(
      last?.type === "response.completed" || last?.type === "response.incomplete",
      types.join(),
    );
    const deltas = types.filter((t) => t === "response.output_text.delta").length;
    assert.ok(deltas >= 1);
    assert.deepEqual(types, [
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      ...Array(deltas).fill("response.output_text.delta"),
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      last.type,
    ]);
    const text = events.flatMap((e) => (e.type === "response.output_text.delta" ? [e.delta] : []));
    const done = events.find((e) => e.type === "response.output_text.done");
    assert.equal(done?.type === "response.output_text.done" && done.text, text.join(""));
    const stored = await client.responses.retrieve(last.response.id);
    assert.deepEqual(plain(stored), plain(last.response));
    assert.equal(stored.output_text, text.join(""));

    // the SDK's stream helper assembles the same answer
    const helper = client.responses.stream({ ...SHORT, input: "Tell a story." });
    const final = await helper.finalResponse();
    const words = (o: OpenAI.Responses.Response) =>
      o.output
        .flatMap((i) => (i.type === "message" ? i.content : []))
        .map((c) => (c.type === "output_text" ? c.text : ""))
        .join("");
    assert.equal(words(final), stored.output_text, "same input, temperature 0: same text");
  });

  test("previous_response_id: the conversation so far is read again", async () => {
    const first = await client.responses.create({ ...SHORT, input: "My name is Ada." });
    const second = await client.responses.create({
      ...SHORT,
      input: "What is my name?",
      previous_response_id: first.id,
    });
    assert.equal(second.previous_response_id, first.id);
    const asked = (r: OpenAI.Responses.Response) => r.usage?.input_tokens ?? 0;
    assert.ok(
      asked(second) > asked(first) + (first.usage?.output_tokens ?? 0),
      `${asked(second)} tokens read, ${asked(first)} before`,
    );
    const items = await client.responses.inputItems.list(second.id, { order: "asc" });
    assert.equal(items.data.length, 1, "input items are this request's only");
    await fails(
      bob.responses.create({ ...SHORT, input: "hi", previous_response_id: first.id }),
      404,
      /no response/,
    );
  });

  test("a function tool: a function_call item, its output sent back, then a message", async () => {
    const tools: OpenAI.Responses.FunctionTool[] = [
      {
        type: "function",
        name: "get_order_status",
        description: "Where an order is",
        parameters: ORDER_PARAMS,
        strict: true,
      },
    ];
    const r = await client.responses.create({
      ...SHORT,
      max_output_tokens: CALLS,
      input: "Where is my order A-123?",
      tools,
      tool_choice: { type: "function", name: "get_order_status" },
      parallel_tool_calls: false,
    });
    assert.equal(r.status, "completed");
    const call = r.output.find((o) => o.type === "function_call");
    assert.ok(call?.type === "function_call", JSON.stringify(r.output));
    assert.equal(call.name, "get_order_status");
    assert.equal(call.status, "completed");
    assert.match(call.id ?? "", /^fc_/);
    const ajv = new Ajv2020({ strict: false });
    assert.ok(ajv.validate(ORDER_PARAMS, JSON.parse(call.arguments)), call.arguments);
    assert.deepEqual(r.tools, [{ ...tools[0], description: "Where an order is" }]);

    const answer = await client.responses.create({
      ...SHORT,
      previous_response_id: r.id,
      input: [
        { type: "function_call_output", call_id: call.call_id, output: '{"status":"shipped"}' },
      ],
      tools,
      tool_choice: "none",
    });
    assert.deepEqual(
      answer.output.map((o) => o.type),
      ["message"],
    );
    const items = await client.responses.inputItems.list(answer.id);
    assert.equal(items.data[0]?.type, "function_call_output");

    await fails(
      client.responses.create({
        ...SHORT,
        input: [{ type: "function_call_output", call_id: "call_nope", output: "x" }],
      }),
      400,
      /input\[0\]\.call_id: "call_nope" answers no function call/,
    );
  });

  test("file_search: the passages found, cited as file_citation annotations", async () => {
    const vs = await client.vectorStores.create({ name: "handbook" });
    const leave = await client.vectorStores.files.uploadAndPoll(
      vs.id,
      await toFile(
        makePdf([
          ["Northwind staff handbook."],
          ["Annual leave: every full-time employee gets 25 days of paid annual leave per year."],
        ]),
        "leave.pdf",
      ),
    );
    assert.equal(leave.status, "completed");
    const r = await client.responses.create({
      ...SHORT,
      input: "How many days of annual leave do I get?",
      tools: [{ type: "file_search", vector_store_ids: [vs.id], max_num_results: 2 }],
      include: ["file_search_call.results"],
    });
    const [search, message] = r.output;
    assert.equal(search?.type, "file_search_call");
    if (search?.type !== "file_search_call") return;
    assert.equal(search.status, "completed");
    assert.deepEqual(search.queries, ["How many days of annual leave do I get?"]);
    assert.equal(search.results?.[0]?.filename, "leave.pdf");
    assert.match(search.results?.[0]?.text ?? "", /25 days/);
    assert.equal(message?.type, "message");
    const part = message?.type === "message" ? message.content[0] : undefined;
    assert.equal(part?.type, "output_text");
    const cited = part?.type === "output_text" ? part.annotations : [];
    assert.deepEqual(
      cited.map((a) => a.type === "file_citation" && [a.file_id, a.filename]),
      [[leave.id, "leave.pdf"]],
    );

    await fails(
      bob.responses.create({
        ...SHORT,
        input: "hi",
        tools: [{ type: "file_search", vector_store_ids: [vs.id] }],
      }),
      404,
      /tools\[0\]\.vector_store_ids\[0\]: no vector store/,
    );
  });

  test('an assistant by id (model: "asst_…"): its HTTP function called by the server, the exchange kept', async () => {
    const res = await fetch(`${server.url}/v1/assistants`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${readLocalAdminKey(home)}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({
        name: "Order desk",
        model: "tiny",
        instructions: "You are the order desk of a bike shop.",
        functions: [
          {
            kind: "http",
            name: "get_order",
            description: "Where an order is",
            parameters: ORDER_PARAMS,
            url: `http://127.0.0.1:${port}/orders`,
            method: "POST",
            headers: [{ name: "X-Api-Key", value: "k-live-12345", secret: true }],
          },
        ],
        tool_choice: { name: "get_order" },
        max_function_calls: 1,
        sampling: { temperature: 0, max_tokens: CALLS },
      }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const assistant = (await res.json()) as { id: string };

    const r = await client.responses.create({
      model: assistant.id,
      input: "Where is my order A-123?",
      parallel_tool_calls: false, // one call: allowed more, the tiny model goes on calling
    });
    assert.equal(r.model, assistant.id);
    assert.equal(received.length, 1, `the server called the endpoint: ${JSON.stringify(r)}`);
    assert.equal(received[0]?.headers["x-api-key"], "k-live-12345");
    assert.match(
      (JSON.parse(received[0]?.body ?? "{}") as { order_id?: string }).order_id ?? "",
      /^A-\d{3}$/,
    );
    assert.deepEqual(
      r.output.map((o) => o.type),
      ["message"],
      "the server's call is no function_call item: the caller must not run it",
    );
    const tailor = (r as unknown as { tailor: Tailor }).tailor;
    assert.deepEqual(
      tailor.function_calls.map((c) => [c.name, c.kind, c.status, c.http_status]),
      [["get_order", "http", "ok", 200]],
    );
    assert.equal(tailor.assistant?.id, assistant.id);
    assert.equal(tailor.assistant?.version, 1);
    assert.doesNotMatch(JSON.stringify(r), /k-live-12345/);

    const conversationId = tailor.assistant?.conversation_id ?? "";
    assert.match(conversationId, /^conv_/);
    const conversation = services.conversations.get(conversationId);
    assert.equal(conversation.channel, "api");
    assert.deepEqual(
      conversation.messages.map((m) => [m.role, m.function_calls.length]),
      [
        ["user", 0],
        ["assistant", 1],
      ],
    );
    const audited = services.audit
      .list({ limit: 50 })
      .filter((e) => e.action === "assistant.function_call");
    assert.equal(audited.length, 1);

    // a follow-up goes on in the same conversation
    const next = await client.responses.create({
      model: assistant.id,
      input: "Thanks!",
      previous_response_id: r.id,
      tool_choice: "none",
      max_output_tokens: 8,
    });
    const nextTailor = (next as unknown as { tailor: Tailor }).tailor;
    assert.equal(nextTailor.assistant?.conversation_id, conversationId);
    assert.equal(services.conversations.get(conversationId).messages.length, 4);

    await fails(bob.responses.create({ model: assistant.id, input: "hi" }), 404, /no assistant/);
  });

  test("an assistant's moderation policy: a blocked question is answered with its refusal part", async () => {
    const admin = readLocalAdminKey(home) ?? "";
    const post = (path: string, body: unknown) =>
      recording(`${server.url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      }).then(async (res) => ({ status: res.status, body: (await res.json()) as { id: string } }));
    const policy = await post("/v1/moderation/policies", {
      name: "no-refunds",
      input: { blocked_terms: ["refund"] },
      refusal: "I can't discuss refunds here.",
    });
    assert.equal(policy.status, 200, JSON.stringify(policy.body));
    const made = await post("/v1/assistants", {
      name: "Shop help",
      model: "tiny",
      moderation_policy: "no-refunds",
    });
    assert.equal(made.status, 200, JSON.stringify(made.body));

    const r = await client.responses.create({ model: made.body.id, input: "I want a refund." });
    assert.equal(r.status, "incomplete");
    assert.deepEqual(r.incomplete_details, { reason: "content_filter" });
    assert.deepEqual(
      r.output.length === 1 && r.output[0]?.type === "message" && r.output[0].content,
      [{ type: "refusal", refusal: "I can't discuss refunds here." }],
    );
    assert.equal(r.usage?.output_tokens, 0, "the model never saw the question");

    const stream = await client.responses.create({
      model: made.body.id,
      input: "A refund, please.",
      stream: true,
    });
    const types: string[] = [];
    for await (const ev of stream) types.push(ev.type);
    assert.deepEqual(types.slice(2), [
      "response.output_item.added",
      "response.content_part.added",
      "response.refusal.delta",
      "response.refusal.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.incomplete",
    ]);
  });

  test("a client that goes away: nothing is stored; malformed bodies are refused by field", async () => {
    const stream = await client.responses.create({
      ...SHORT,
      max_output_tokens: 256,
      input: "Write a long essay.",
      stream: true,
    });
    let id = "";
    for await (const ev of stream) {
      if (ev.type === "response.created") id = ev.response.id;
      if (ev.type === "response.output_text.delta") break; // leaves the stream: the request aborts
    }
    assert.match(id, /^resp_/);
    await fails(client.responses.retrieve(id), 404);

    await fails(
      client.responses.create({
        model: "tiny",
        input: [{ type: "reasoning", id: "rs_1", summary: [] }],
      }),
      400,
      /input\[0\]\.type: Tailor takes message, function_call, function_call_output items/,
    );
    await fails(
      client.responses.create({ model: "tiny", input: "hi", background: true }),
      400,
      /background: .*leave background out/,
    );
  });

  test("every JSON response matches the served OpenAPI document", async () => {
    assert.ok((await checkContract(server.url)) >= 10);
  });
});

interface Tailor {
  function_calls: { name: string; kind: string; status: string; http_status: number | null }[];
  assistant: { id: string; version: number; conversation_id: string | null } | null;
}
