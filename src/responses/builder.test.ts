/**
 * The response and its stream built from scripted turn events: every event valid against the
 * protocol, numbered in order, in OpenAI's order; and the official SDK, reading the stream from a
 * fetch that serves it, assembles the same response as the one returned whole.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import OpenAI from "openai";
import { ResponseObject } from "../../protocol/api/responses.ts";
import { ResponseStreamEvent } from "../../protocol/api/responses-stream.ts";
import type { FunctionCallRecord } from "../../protocol/assistants.ts";
import type { TurnEvent } from "../assistants/index.ts";
import type { Citation } from "../knowledge/index.ts";
import { annotate, ResponseBuilder, type ResponseHead } from "./builder.ts";

const HEAD: ResponseHead = {
  id: "resp_1",
  created_at: 1_700_000_000,
  model: "tiny",
  instructions: null,
  max_output_tokens: 16,
  parallel_tool_calls: true,
  previous_response_id: null,
  temperature: 1,
  top_p: 1,
  tool_choice: "auto",
  tools: [],
  text: { format: { type: "text" } },
  store: true,
  metadata: {},
  assistant: null,
};

const citation = (index: number, file_id: string, filename: string): Citation => ({
  index,
  vector_store_id: "vs_1",
  file_id,
  filename,
  location: "page 2",
  page: 2,
  section: null,
  chunk: 1,
  text: "Annual leave: 25 days.",
  score: 0.8,
  similarity: 0.7,
});

const done = (over: Partial<Extract<TurnEvent, { type: "done" }>> = {}): TurnEvent => ({
  type: "done",
  text: "",
  finish_reason: "stop",
  client_calls: [],
  function_calls: [],
  sources: [],
  usage: { input_tokens: 10, output_tokens: 3 },
  ...over,
});

function build(
  turn: TurnEvent[],
  opts: { includeResults?: boolean; head?: Partial<ResponseHead> } = {},
) {
  let n = 0;
  const b = new ResponseBuilder(
    { ...HEAD, ...opts.head },
    {
      query: "how many days",
      includeResults: opts.includeResults ?? false,
      newId: (p) => `${p}_${++n}`,
      now: () => 1_700_000_009,
    },
  );
  const events = [...b.start(), ...turn.flatMap((ev) => b.push(ev)), b.finish()];
  events.forEach((ev, i) => {
    const r = ResponseStreamEvent.safeParse(ev);
    assert.ok(r.success, `${ev.type}: ${r.error?.message}`);
    assert.equal(ev.sequence_number, i);
  });
  const response = b.response();
  assert.ok(ResponseObject.safeParse(response).success);
  return { events, response, types: events.map((e) => e.type) };
}

/** What the official SDK makes of the stream (served by a fetch as OpenAI serves it). */
async function sdkRead(events: ResponseStreamEvent[]) {
  const body = events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("");
  const client = new OpenAI({
    apiKey: "k",
    baseURL: "http://tailor.invalid/v1",
    fetch: async () => new Response(body, { headers: { "content-type": "text/event-stream" } }),
  });
  const stream = client.responses.stream({ model: "tiny", input: "hi" });
  const seen: string[] = [];
  for await (const ev of stream) seen.push(ev.type);
  return { seen, final: plain(await stream.finalResponse()) };
}

/** The SDK's response without what it adds of its own (parsed outputs, output_text). */
function plain(response: object): unknown {
  return JSON.parse(
    JSON.stringify(response, (key, value) =>
      ["output_text", "output_parsed", "parsed_arguments", "parsed"].includes(key)
        ? undefined
        : value,
    ),
  );
}

describe("a response built from a turn's events", () => {
  test("text: one message in OpenAI's order; the SDK assembles the same response", async () => {
    const { events, response, types } = build([
      { type: "text", delta: "Hel" },
      { type: "text", delta: "lo" },
      done({ text: "Hello" }),
    ]);
    assert.deepEqual(types, [
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const created = events[0] as Extract<ResponseStreamEvent, { type: "response.created" }>;
    assert.equal(created.response.status, "in_progress");
    assert.deepEqual(created.response.output, []);
    assert.equal(created.response.usage, null);
    assert.equal(response.status, "completed");
    assert.equal(response.completed_at, 1_700_000_009);
    assert.deepEqual(response.output, [
      {
        type: "message",
        id: "msg_1",
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: "Hello", annotations: [] }],
      },
    ]);
    assert.deepEqual(response.usage, {
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 3,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 13,
    });
    const sdk = await sdkRead(events);
    assert.deepEqual(sdk.seen, types);
    assert.deepEqual(sdk.final, response);
  });

  test("knowledge: a file_search_call first, file_citation annotations on the text", async () => {
    const sources = [citation(1, "file-a", "leave.pdf"), citation(2, "file-b", "pay.docx")];
    const { response, types } = build(
      [
        { type: "sources", citations: sources, found: true },
        { type: "text", delta: "25 days [1]." },
        done({ text: "25 days [1].", sources }),
      ],
      { includeResults: true },
    );
    assert.deepEqual(types.slice(2, 7), [
      "response.output_item.added",
      "response.file_search_call.in_progress",
      "response.file_search_call.searching",
      "response.file_search_call.completed",
      "response.output_item.done",
    ]);
    assert.equal(types.filter((t) => t === "response.output_text.annotation.added").length, 2);
    const [search, message] = response.output;
    assert.equal(search?.type, "file_search_call");
    if (search?.type !== "file_search_call") return;
    assert.deepEqual(search.queries, ["how many days"]);
    assert.equal(search.status, "completed");
    assert.equal(search.results?.[0]?.filename, "leave.pdf");
    assert.equal(search.results?.[0]?.attributes.page, 2);
    assert.equal(message?.type, "message");
    if (message?.type !== "message") return;
    assert.deepEqual(message.content[0], {
      type: "output_text",
      text: "25 days [1].",
      annotations: [
        { type: "file_citation", file_id: "file-a", filename: "leave.pdf", index: 11 },
        { type: "file_citation", file_id: "file-b", filename: "pay.docx", index: 12 },
      ],
    });
    assert.equal(response.tailor.citations.length, 2);
    const plain = build([{ type: "sources", citations: sources, found: true }, done({ sources })]);
    const item = plain.response.output[0];
    assert.equal(
      item?.type === "file_search_call" && item.results,
      null,
      "results only when included",
    );
  });

  test("a client function: a function_call item with its arguments, no message", async () => {
    const call = { call_id: "call_1", name: "get_order", arguments: '{"id":"A-1"}' };
    const record: FunctionCallRecord = {
      ...call,
      kind: "client",
      status: "client",
      http_status: null,
      duration_ms: 0,
      output: "",
    };
    const { events, response, types } = build([
      done({ finish_reason: "tool_calls", client_calls: [call], function_calls: [record] }),
    ]);
    assert.deepEqual(types.slice(2), [
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
    assert.deepEqual(response.output, [
      { type: "function_call", id: "fc_1", status: "completed", ...call },
    ]);
    assert.deepEqual(response.tailor.function_calls, [], "client calls are items, not tailor's");
    const sdk = await sdkRead(events);
    assert.deepEqual(sdk.final, response);
  });

  test("HTTP functions the server ran: tailor events and tailor.function_calls, no items", () => {
    const record: FunctionCallRecord = {
      call_id: "call_9",
      name: "weather",
      arguments: "{}",
      kind: "http",
      status: "ok",
      http_status: 200,
      duration_ms: 12,
      output: '{"sunny":true}',
    };
    const { response, types } = build([
      { type: "function_call", call_id: "call_9", name: "weather", arguments: "{}" },
      { type: "function_result", call: record },
      { type: "text", delta: "Sunny." },
      done({ text: "Sunny.", function_calls: [record] }),
    ]);
    assert.deepEqual(types.slice(2, 4), [
      "tailor.function_call.in_progress",
      "tailor.function_call.completed",
    ]);
    assert.deepEqual(response.tailor.function_calls, [record]);
    assert.deepEqual(
      response.output.map((o) => o.type),
      ["message"],
    );
  });

  test("a policy's block: a refusal part, incomplete for content_filter", async () => {
    const { events, response, types } = build([
      { type: "filtered", refusal: "I can't help with that." },
      done({ text: "I can't help with that.", finish_reason: "content_filter" }),
    ]);
    assert.deepEqual(types.slice(2), [
      "response.output_item.added",
      "response.content_part.added",
      "response.refusal.delta",
      "response.refusal.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.incomplete",
    ]);
    assert.equal(response.status, "incomplete");
    assert.deepEqual(response.incomplete_details, { reason: "content_filter" });
    assert.equal(response.completed_at, null);
    const message = response.output[0];
    assert.deepEqual(message?.type === "message" && message.content, [
      { type: "refusal", refusal: "I can't help with that." },
    ]);
    assert.equal(message?.type === "message" && message.status, "incomplete");
    const sdk = await sdkRead(events);
    assert.deepEqual(sdk.seen, types);
  });

  test("cut at max_output_tokens: incomplete; a runner that streamed less sends the rest", () => {
    const { response, types } = build([
      { type: "text", delta: "a b" },
      done({ text: "a b c", finish_reason: "length" }),
    ]);
    assert.equal(types.filter((t) => t === "response.output_text.delta").length, 2);
    assert.equal(response.status, "incomplete");
    assert.deepEqual(response.incomplete_details, { reason: "max_output_tokens" });
    const message = response.output[0];
    assert.equal(
      message?.type === "message" && message.content[0]?.type === "output_text"
        ? message.content[0].text
        : null,
      "a b c",
    );
  });

  test("an assistant's response names its version and stored conversation", () => {
    let n = 0;
    const b = new ResponseBuilder(
      { ...HEAD, model: "asst_1", assistant: { id: "asst_1", version: 3 } },
      { query: "", includeResults: false, newId: (p) => `${p}_${++n}` },
    );
    b.start();
    b.push(done({ text: "hi" }));
    const last = b.finish("conv_7");
    assert.equal(last.type, "response.completed");
    assert.deepEqual(b.response().tailor.assistant, {
      id: "asst_1",
      version: 3,
      conversation_id: "conv_7",
    });
    assert.throws(() => b.push(done()), /after the turn's end/);
  });
});

test("annotate: after each [n] in the text, else at its end, once per file and place", () => {
  const a = citation(1, "file-a", "a.pdf");
  const b = citation(2, "file-b", "b.pdf");
  const a2 = { ...citation(3, "file-a", "a.pdf") };
  assert.deepEqual(
    annotate("See [2] and [1].", [a, b, a2]).map((x) => [x.file_id, x.index]),
    [
      ["file-b", 7],
      ["file-a", 15],
      ["file-a", 16],
    ],
  );
  assert.deepEqual(annotate("", [a, { ...a }]).length, 1);
});
