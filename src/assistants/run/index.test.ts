/**
 * The runner's decisions with a scripted engine (each generation's events written in the test)
 * and a fake HTTP caller; the knowledge base, the moderation policies and their flags are the real
 * ones on a real SQLite database (the embedder is a word-hashing fake).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { FunctionCallRecord } from "../../../protocol/assistants.ts";
import { InlinePolicyInput } from "../../../protocol/moderation.ts";
import { KnowledgeBase } from "../../knowledge/index.ts";
import { moderationFor } from "../../safety/moderation/index.ts";
import { openServices, type Services } from "../../services/index.ts";
import type { GenerateEvent, GenerateRequest } from "../../serving/index.ts";
import type { RuntimeFunction, RuntimeHttpFunction, TurnEvent, TurnRequest } from "../types.ts";
import { runTurn, type TurnDeps } from "./index.ts";

type Call = { name: string; arguments: string };

/** One generation as the engine would stream it: its text in pieces, then the result. */
function gen(
  text: string,
  opts: {
    calls?: Call[];
    finish?: "stop" | "length" | "tool_calls";
    prompt?: number;
    completion?: number;
  } = {},
): GenerateEvent[] {
  const pieces = text.match(/.{1,4}/gs) ?? [];
  return [
    ...pieces.map((t) => ({ type: "delta" as const, index: 0, text: t })),
    {
      type: "result",
      choices: [
        {
          index: 0,
          text,
          ...(opts.calls ? { tool_calls: opts.calls } : {}),
          finish_reason: opts.finish ?? (opts.calls ? "tool_calls" : "stop"),
        },
      ],
      prompt_tokens: opts.prompt ?? 10,
      completion_tokens: opts.completion ?? 5,
    },
  ];
}

/** An engine that answers each generation with the next scripted one and keeps the requests. */
class ScriptedEngine {
  readonly requests: { req: GenerateRequest; stream: boolean | undefined }[] = [];
  constructor(private readonly script: GenerateEvent[][]) {}

  async *generate(
    req: GenerateRequest,
    opts: { signal?: AbortSignal | undefined; stream?: boolean | undefined } = {},
  ): AsyncGenerator<GenerateEvent, void, undefined> {
    this.requests.push({ req, stream: opts.stream });
    const events = this.script.shift();
    assert.ok(events, "the test scripted this generation");
    for (const ev of events) {
      if (opts.signal?.aborted) return;
      if (ev.type === "delta" || opts.stream === false) await Promise.resolve();
      if (ev.type === "delta" && opts.stream === false) continue;
      yield ev;
    }
  }

  async countTokens(req: { messages: { content: string }[] }): Promise<number> {
    return req.messages.reduce((n, m) => n + Math.ceil(m.content.length / 4) + 4, 0);
  }
}

const weather: RuntimeHttpFunction = {
  kind: "http",
  name: "get_weather",
  description: "The weather in a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  url: "https://api.example.com/weather",
  method: "GET",
  timeout_ms: 1000,
  max_response_bytes: 4096,
  headers: [{ name: "Authorization", value: "Bearer s3cret", secret: true }],
};
const openTicket: RuntimeFunction = {
  kind: "client",
  name: "open_ticket",
  description: "Opens a support ticket",
  parameters: { type: "object", properties: { topic: { type: "string" } } },
};

/** An HTTP caller that answers every call with the city's weather, and remembers the calls. */
function fakeCaller() {
  const calls: { name: string; arguments: string; call_id: string }[] = [];
  const call: NonNullable<TurnDeps["callFunction"]> = async (fn, c) => {
    calls.push({ name: fn.name, ...c });
    return {
      call_id: c.call_id,
      name: fn.name,
      arguments: c.arguments,
      kind: "http",
      status: "ok",
      http_status: 200,
      duration_ms: 3,
      output: '{"sky":"sunny"}',
    };
  };
  return { calls, call };
}

let home: string;
let services: Services;
let kb: KnowledgeBase;

/** Words hashed into 32 dimensions, unit length: texts sharing words are near. */
const embedder = {
  async embed(input: string[]) {
    return {
      data: input.map((t) => {
        const v = new Array<number>(32).fill(0);
        for (const w of t.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
          let h = 0;
          for (const ch of w) h = (h * 31 + ch.charCodeAt(0)) % 32;
          v[h] = (v[h] ?? 0) + 1;
        }
        const norm = Math.hypot(...v) || 1;
        return v.map((x) => x / norm);
      }),
    };
  },
};

before(() => {
  home = mkdtempSync(join(tmpdir(), "tailor-run-"));
  services = openServices(home);
  kb = new KnowledgeBase(services.db, { embedder, files: services.files });
});
after(() => {
  kb.close();
  services.close();
  rmSync(home, { recursive: true, force: true });
});

function request(over: Partial<TurnRequest> = {}): TurnRequest {
  return {
    model: { name: "tiny", source: { kind: "hf_dir", path: "/nowhere/tiny" } },
    instructions: "You are the weather desk.",
    messages: [{ role: "user", content: "Weather in Paris?" }],
    sampling: { temperature: 0.5, top_p: 0.9, top_k: 40, max_tokens: 64, seed: 3 },
    functions: [weather],
    toolChoice: "auto",
    maxFunctionCalls: 3,
    network: { allowedHosts: ["api.example.com"], privateHosts: [] },
    knowledge: null,
    moderation: null,
    signal: new AbortController().signal,
    ...over,
  };
}

async function collect(deps: TurnDeps, req: TurnRequest): Promise<TurnEvent[]> {
  const out: TurnEvent[] = [];
  for await (const ev of runTurn(deps, req)) out.push(ev);
  return out;
}

function doneOf(events: TurnEvent[]) {
  const last = events.at(-1);
  assert.equal(last?.type, "done", "the answer ends with done");
  return last as Extract<TurnEvent, { type: "done" }>;
}

const streamed = (events: TurnEvent[]) =>
  events.flatMap((e) => (e.type === "text" ? [e.delta] : [])).join("");

describe("runTurn", () => {
  test("a forced first call, its result given back, then the model answers freely", async () => {
    const engine = new ScriptedEngine([
      gen("", {
        calls: [{ name: "get_weather", arguments: '{"city":"Paris"}' }],
        prompt: 20,
        completion: 7,
      }),
      gen("Sunny in Paris.", { prompt: 40, completion: 6 }),
    ]);
    const http = fakeCaller();
    const seen: FunctionCallRecord[] = [];
    const events = await collect(
      { inference: engine, knowledge: kb, callFunction: http.call },
      request({
        toolChoice: { name: "get_weather" },
        onFunctionCall: (r, fn) => {
          assert.equal(fn.name, "get_weather");
          seen.push(r);
        },
      }),
    );
    const [firstReq, secondReq] = engine.requests.map((r) => r.req);
    assert.deepEqual(firstReq?.tool_choice, {
      type: "function",
      function: { name: "get_weather" },
    });
    assert.equal(secondReq?.tool_choice, "auto");
    assert.deepEqual(firstReq?.tools, [
      {
        type: "function",
        function: {
          name: "get_weather",
          description: weather.description,
          parameters: weather.parameters,
        },
      },
    ]);
    assert.equal(firstReq?.n, 1);
    assert.equal(firstReq?.constrained, true);
    assert.equal(firstReq?.temperature, 0.5);
    assert.equal(firstReq?.top_k, 40);
    assert.equal(firstReq?.seed, 3);
    assert.deepEqual(firstReq?.messages[0], {
      role: "system",
      content: "You are the weather desk.",
    });

    assert.deepEqual(
      http.calls.map((c) => [c.name, c.arguments]),
      [["get_weather", '{"city":"Paris"}']],
    );
    const callId = http.calls[0]?.call_id ?? "";
    assert.match(callId, /^call_[A-Za-z0-9]{24}$/);
    // the second generation saw the call and its result
    const [, , call, result] = secondReq?.messages ?? [];
    assert.deepEqual(call?.tool_calls, [
      {
        id: callId,
        type: "function",
        function: { name: "get_weather", arguments: '{"city":"Paris"}' },
      },
    ]);
    assert.deepEqual(result, { role: "tool", content: '{"sky":"sunny"}', tool_call_id: callId });

    assert.deepEqual(
      events.map((e) => e.type),
      ["function_call", "function_result", "text", "text", "text", "text", "done"],
    );
    assert.equal(streamed(events), "Sunny in Paris.");
    const done = doneOf(events);
    assert.equal(done.text, "Sunny in Paris.");
    assert.equal(done.finish_reason, "stop");
    assert.deepEqual(done.client_calls, []);
    assert.deepEqual(
      done.function_calls.map((r) => [r.name, r.status]),
      [["get_weather", "ok"]],
    );
    assert.deepEqual(seen, done.function_calls);
    assert.deepEqual(
      done.usage,
      { input_tokens: 60, output_tokens: 13 },
      "summed over both generations",
    );
  });

  test("over the limit: the call is not made (status limit), then the model must answer", async () => {
    const engine = new ScriptedEngine([
      gen("", { calls: [{ name: "get_weather", arguments: '{"city":"Oslo"}' }] }),
      gen("", {
        calls: [
          { name: "get_weather", arguments: '{"city":"Rome"}' },
          { name: "get_weather", arguments: '{"city":"Bern"}' },
        ],
      }),
      gen("Cold in Oslo, mild in Rome."),
    ]);
    const http = fakeCaller();
    const events = await collect(
      { inference: engine, knowledge: kb, callFunction: http.call },
      request({ maxFunctionCalls: 2, toolChoice: "required" }),
    );
    assert.deepEqual(
      engine.requests.map((r) => r.req.tool_choice),
      ["required", "auto", "none"],
    );
    assert.deepEqual(
      http.calls.map((c) => c.arguments),
      ['{"city":"Oslo"}', '{"city":"Rome"}'],
    );
    const done = doneOf(events);
    assert.deepEqual(
      done.function_calls.map((r) => [r.arguments, r.status]),
      [
        ['{"city":"Oslo"}', "ok"],
        ['{"city":"Rome"}', "ok"],
        ['{"city":"Bern"}', "limit"],
      ],
    );
    // the model was told the third call was not made
    const told = engine.requests[2]?.req.messages.at(-1);
    assert.equal(told?.role, "tool");
    assert.match(told?.content ?? "", /Not called: this answer already made 2 function calls/);
    assert.equal(events.filter((e) => e.type === "function_call").length, 2);
    assert.equal(done.finish_reason, "stop");
    assert.equal(done.text, "Cold in Oslo, mild in Rome.");

    // a limit of 0: the first generation may not call at all
    const none = new ScriptedEngine([gen("I cannot look that up.")]);
    await collect(
      { inference: none, knowledge: kb, callFunction: http.call },
      request({ maxFunctionCalls: 0 }),
    );
    assert.equal(none.requests[0]?.req.tool_choice, "none");

    // an engine that calls on whatever tool_choice says is stopped after maxFunctionCalls + 2 generations
    const stubborn = new ScriptedEngine(
      Array.from({ length: 5 }, () =>
        gen("", { calls: [{ name: "get_weather", arguments: '{"city":"Nuuk"}' }] }),
      ),
    );
    const cut = await collect(
      { inference: stubborn, knowledge: kb, callFunction: http.call },
      request({ maxFunctionCalls: 1 }),
    );
    assert.equal(stubborn.requests.length, 3);
    assert.deepEqual(
      doneOf(cut).function_calls.map((r) => r.status),
      ["ok", "limit", "limit"],
    );
  });

  test("client calls end the answer with tool_calls, after the HTTP calls of the same step", async () => {
    const engine = new ScriptedEngine([
      gen("Let me check.", {
        calls: [
          { name: "get_weather", arguments: '{"city":"Lima"}' },
          { name: "open_ticket", arguments: '{"topic":"rain"}' },
        ],
      }),
    ]);
    const http = fakeCaller();
    const events = await collect(
      { inference: engine, knowledge: kb, callFunction: http.call },
      request({ functions: [weather, openTicket] }),
    );
    assert.equal(engine.requests.length, 1, "no generation after a client call");
    assert.equal(engine.requests[0]?.req.tools?.length, 2, "client and HTTP functions are offered");
    assert.equal(http.calls.length, 1);
    const done = doneOf(events);
    assert.equal(done.finish_reason, "tool_calls");
    assert.equal(done.text, "Let me check.");
    assert.equal(done.client_calls.length, 1);
    assert.equal(done.client_calls[0]?.name, "open_ticket");
    assert.equal(done.client_calls[0]?.arguments, '{"topic":"rain"}');
    assert.match(done.client_calls[0]?.call_id ?? "", /^call_/);
    assert.deepEqual(
      done.function_calls.map((r) => [r.name, r.kind, r.status]),
      [
        ["get_weather", "http", "ok"],
        ["open_ticket", "client", "client"],
      ],
    );
    assert.equal(done.function_calls[1]?.call_id, done.client_calls[0]?.call_id);
  });

  test("mixed: HTTP results go back, then a client call on the next step, then the limit leaves client functions", async () => {
    const engine = new ScriptedEngine([
      gen("", { calls: [{ name: "get_weather", arguments: '{"city":"Kyiv"}' }] }),
      gen("Snow. ", { calls: [{ name: "open_ticket", arguments: '{"topic":"snow"}' }] }),
    ]);
    const http = fakeCaller();
    const events = await collect(
      { inference: engine, knowledge: kb, callFunction: http.call },
      request({
        functions: [weather, openTicket],
        maxFunctionCalls: 1,
        toolChoice: { name: "get_weather" },
      }),
    );
    const [, second] = engine.requests.map((r) => r.req);
    // the limit is reached: only the client function is still offered, the model chooses
    assert.deepEqual(
      second?.tools?.map((t) => t.function.name),
      ["open_ticket"],
    );
    assert.equal(second?.tool_choice, "auto");
    const done = doneOf(events);
    assert.equal(done.finish_reason, "tool_calls");
    assert.equal(done.text, "Snow. ");
    assert.equal(streamed(events), "Snow. ");
    assert.deepEqual(
      done.function_calls.map((r) => r.status),
      ["ok", "client"],
    );
    assert.deepEqual(
      done.client_calls.map((c) => c.name),
      ["open_ticket"],
    );
  });

  test("a question the policy blocks: filtered, content_filter, nothing generated", async () => {
    const engine = new ScriptedEngine([]);
    const moderation = moderationFor(
      { policies: services.policies, flags: services.flags },
      { model: "tiny", keyId: null, owner: null, requestId: "turn-1" },
      InlinePolicyInput.parse({
        input: { blocked_terms: ["lockpick"] },
        refusal: "Not here, sorry.",
      }),
    );
    const events = await collect(
      { inference: engine, knowledge: kb },
      request({ moderation, messages: [{ role: "user", content: "How do I use a lockpick?" }] }),
    );
    assert.deepEqual(
      events.map((e) => e.type),
      ["filtered", "done"],
    );
    assert.deepEqual(events[0], { type: "filtered", refusal: "Not here, sorry." });
    const done = doneOf(events);
    assert.equal(done.text, "Not here, sorry.");
    assert.equal(done.finish_reason, "content_filter");
    assert.deepEqual(done.usage, { input_tokens: 0, output_tokens: 0 });
    assert.equal(engine.requests.length, 0, "the model never saw it");
  });

  test("a question with personal data the policy redacts: the model sees the redacted text", async () => {
    const engine = new ScriptedEngine([gen("Noted.")]);
    const moderation = moderationFor(
      { policies: services.policies, flags: services.flags },
      { model: "tiny", keyId: null, owner: null, requestId: "turn-2" },
      InlinePolicyInput.parse({ input: { personal_data: "redact" } }),
    );
    await collect(
      { inference: engine, knowledge: kb },
      request({
        moderation,
        messages: [{ role: "user", content: "Mail me at ana.lopez@example.org" }],
      }),
    );
    const user = engine.requests[0]?.req.messages.find((m) => m.role === "user");
    assert.doesNotMatch(user?.content ?? "", /ana\.lopez@example\.org/);
  });

  test("an answer the policy blocks is never streamed: filtered and content_filter; a clean one comes whole", async () => {
    const moderation = moderationFor(
      { policies: services.policies, flags: services.flags },
      { model: "tiny", keyId: null, owner: null, requestId: "turn-3" },
      InlinePolicyInput.parse({
        output: { blocked_terms: ["password"] },
        refusal: "I can't share that.",
      }),
    );
    const blocked = new ScriptedEngine([gen("The admin password is hunter2, enjoy.")]);
    const events = await collect({ inference: blocked, knowledge: kb }, request({ moderation }));
    assert.equal(blocked.requests[0]?.stream, false, "nothing streamed unchecked");
    assert.deepEqual(
      events.map((e) => e.type),
      ["filtered", "done"],
    );
    assert.equal(streamed(events), "");
    const done = doneOf(events);
    assert.equal(done.finish_reason, "content_filter");
    assert.equal(done.text, "I can't share that.");

    // the arguments of a call are checked before the call is made
    const http = fakeCaller();
    const calling = new ScriptedEngine([
      gen("", { calls: [{ name: "get_weather", arguments: '{"city":"password"}' }] }),
    ]);
    const refused = await collect(
      { inference: calling, knowledge: kb, callFunction: http.call },
      request({ moderation }),
    );
    assert.equal(http.calls.length, 0, "blocked arguments never reach the endpoint");
    assert.equal(doneOf(refused).finish_reason, "content_filter");

    const clean = new ScriptedEngine([
      gen("", { calls: [{ name: "get_weather", arguments: '{"city":"Quito"}' }] }),
      gen("Sunny in Quito today."),
    ]);
    const ok = await collect(
      { inference: clean, knowledge: kb, callFunction: http.call },
      request({ moderation }),
    );
    assert.deepEqual(
      ok.map((e) => e.type),
      ["function_call", "function_result", "text", "done"],
    );
    assert.equal(streamed(ok), "Sunny in Quito today.");
    assert.equal(doneOf(ok).text, "Sunny in Quito today.");
  });

  test("sources come first, from the knowledge, in the system message after the instructions", async () => {
    const store = kb.createStore({ name: "handbook", owner: null });
    const path = join(home, "leave.txt");
    writeFileSync(path, "Annual leave: every employee gets 25 days of paid annual leave per year.");
    const file = await services.files.addLocal(path, {
      purpose: "assistants",
      owner: null,
      filename: "leave.txt",
    });
    await kb.add(store.id, file);
    const engine = new ScriptedEngine([gen("25 days [1].")]);
    const events = await collect(
      { inference: engine, knowledge: kb },
      request({
        functions: [],
        knowledge: { storeIds: [store.id], maxPassages: 3 },
        messages: [
          { role: "user", content: "How many days of annual leave does an employee get?" },
        ],
      }),
    );
    assert.equal(events[0]?.type, "sources");
    const sources = events[0] as Extract<TurnEvent, { type: "sources" }>;
    assert.equal(sources.found, true);
    assert.equal(sources.citations[0]?.filename, "leave.txt");
    const system = engine.requests[0]?.req.messages[0];
    assert.equal(system?.role, "system");
    assert.ok(system?.content.startsWith("You are the weather desk.\n\n"), system?.content);
    assert.match(system?.content ?? "", /25 days of paid annual leave/);
    assert.equal(engine.requests[0]?.req.tools, undefined, "no functions: none offered");
    const done = doneOf(events);
    assert.deepEqual(done.sources, sources.citations);
    assert.equal(done.text, "25 days [1].");
  });

  test("instructions merge with the conversation's system message; length and abort", async () => {
    const engine = new ScriptedEngine([gen("A long answer that was cut", { finish: "length" })]);
    const events = await collect(
      { inference: engine, knowledge: kb },
      request({
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "Hi" },
        ],
      }),
    );
    assert.deepEqual(engine.requests[0]?.req.messages.slice(0, 2), [
      { role: "system", content: "You are the weather desk.\n\nBe brief." },
      { role: "user", content: "Hi" },
    ]);
    assert.equal(doneOf(events).finish_reason, "length");

    const abort = new AbortController();
    const slow = new ScriptedEngine([gen("One two three four five six")]);
    const seen: TurnEvent[] = [];
    for await (const ev of runTurn(
      { inference: slow, knowledge: kb },
      request({ signal: abort.signal }),
    )) {
      seen.push(ev);
      abort.abort();
    }
    assert.deepEqual(
      seen.map((e) => e.type),
      ["text"],
      "ends quietly, without done",
    );

    // an abort while an HTTP function is being called ends the call and the answer
    const stop = new AbortController();
    const audited: FunctionCallRecord[] = [];
    const calling = new ScriptedEngine([
      gen("", { calls: [{ name: "get_weather", arguments: '{"city":"Baku"}' }] }),
    ]);
    let pending = false;
    const hanging: NonNullable<TurnDeps["callFunction"]> = (fn, c, _network, signal) =>
      new Promise((resolve) => {
        pending = true;
        signal?.addEventListener("abort", () =>
          resolve({
            ...c,
            name: fn.name,
            kind: "http",
            status: "failed",
            http_status: null,
            duration_ms: 1,
            output: "cancelled",
          }),
        );
      });
    const during: TurnEvent[] = [];
    for await (const ev of runTurn(
      { inference: calling, knowledge: kb, callFunction: hanging },
      request({ signal: stop.signal, onFunctionCall: (r) => audited.push(r) }),
    )) {
      during.push(ev);
      if (ev.type === "function_call") setTimeout(() => stop.abort(), 10);
    }
    assert.ok(pending, "the call was under way when the abort came");
    assert.deepEqual(
      audited.map((r) => r.status),
      ["failed"],
      "the cancelled call is still audited",
    );
    assert.deepEqual(
      during.map((e) => e.type),
      ["function_call"],
    );
    assert.equal(calling.requests.length, 1, "no generation after the abort");
  });
});
