/**
 * Moderation policies end to end: a real listening server on real SQLite, the real engine with the
 * tiny model (random weights: its greedy answer is a fixed string of words, so a word from early in
 * it is a deterministic "offending" word), the official `openai` client, and bin/tailor on the same
 * home. Each action on a question, an answer and a stream; the flags listed afterwards.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import { readLocalAdminKey } from "../../../auth/index.ts";
import { cliSandbox } from "../../../cli/__fixtures__/cli.ts";
import { type GenerateRequest, InferenceEngine } from "../../../serving/index.ts";
import { checkContract, recording } from "../../__fixtures__/openai-client.ts";
import { type RunningServer, startServer } from "../../index.ts";

const env = { HF_HUB_OFFLINE: "1" };
const { home, tiny, tailor } = cliSandbox("tailor-policies-e2e-", env);

/** The real engine, remembering what it was asked to generate from. */
class WatchedEngine extends InferenceEngine {
  readonly asked: GenerateRequest[] = [];
  override generate(...args: Parameters<InferenceEngine["generate"]>) {
    this.asked.push(args[0]);
    return super.generate(...args);
  }
}

let server: RunningServer;
let engine: WatchedEngine;
let admin: OpenAI;
let alice: OpenAI;
let adminKey = "";
let aliceKey = "";
let aliceKeyId = "";

async function api(method: string, path: string, body?: unknown, key = adminKey) {
  const res = await recording(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: test reads fields of several bodies
  return { status: res.status, body: (await res.json()) as any };
}

const ask = (content: string): OpenAI.ChatCompletionMessageParam[] => [{ role: "user", content }];
const greedy = { model: "tiny", temperature: 0, seed: 1, max_tokens: 40 };
const QUESTION = "Where is my parcel?";
const wordRe = (w: string) => new RegExp(`(?<![\\p{L}\\p{N}_])${w}(?![\\p{L}\\p{N}_])`, "iu");

/** A streamed answer as the client saw it. */
async function streamed(body: OpenAI.ChatCompletionCreateParamsStreaming) {
  let content = "";
  let chunks = 0;
  let finish: string | null = null;
  for await (const ch of await admin.chat.completions.create(body)) {
    const c = ch.choices[0];
    if (c?.delta.content) {
      content += c.delta.content;
      chunks++;
    }
    if (c?.finish_reason) finish = c.finish_reason;
  }
  return { content, chunks, finish };
}

describe("moderation policies with the real engine, the official SDK and the CLI", () => {
  before(async () => {
    tiny();
    engine = new WatchedEngine({ env: { TAILOR_HOME: home, ...env } });
    server = await startServer({ home, port: 0, worker: false, inference: engine });
    adminKey = readLocalAdminKey(home) ?? "";
    const made = await api("POST", "/v1/keys", { name: "alice", role: "member" });
    aliceKey = made.body.key;
    aliceKeyId = made.body.id;
    const client = (apiKey: string) =>
      new OpenAI({ apiKey, baseURL: `${server.url}/v1`, fetch: recording, maxRetries: 0 });
    admin = client(adminKey);
    alice = client(aliceKey);
  });
  after(async () => server?.close());

  test("a blocked question never reaches the model: the refusal, content_filter, whole and streamed", async () => {
    const made = await api("POST", "/v1/moderation/policies", {
      name: "no-passwords",
      input: { blocked_terms: ["password"] },
      refusal: "I can't discuss passwords.",
      attached: { models: ["tiny"] },
    });
    assert.equal(made.status, 200, JSON.stringify(made.body));
    assert.deepEqual(made.body.attached, { models: ["tiny"], keys: [] });

    const plain = await admin.chat.completions.create({
      ...greedy,
      messages: ask("My PASSWORD is hunter2"),
    });
    assert.equal(plain.choices[0]?.message.content, "I can't discuss passwords.");
    assert.equal(plain.choices[0]?.finish_reason, "content_filter");
    assert.equal(plain.usage?.total_tokens, 0);
    const s = await streamed({ ...greedy, stream: true, messages: ask("what is the password?") });
    assert.deepEqual(s, {
      content: "I can't discuss passwords.",
      chunks: 1,
      finish: "content_filter",
    });
    assert.equal(engine.asked.length, 0, "the engine was asked nothing");
    assert.equal(engine.pid, undefined, "the engine process was never even started");
  });

  let answer = "";
  let word = "";
  test("a greedy answer, and a word from early in it (the offending word below)", async () => {
    const r = await admin.chat.completions.create({ ...greedy, messages: ask(QUESTION) });
    answer = r.choices[0]?.message.content ?? "";
    assert.equal(r.choices[0]?.finish_reason, "length");
    const words = [...answer.matchAll(/(?<![\p{L}\p{N}_])\p{Ll}{4,}(?![\p{L}\p{N}_])/gu)];
    const pick = words.find(
      (m) => m.index > 10 && answer.match(new RegExp(wordRe(m[0]), "giu"))?.length === 1,
    );
    assert.ok(pick, `a lower-case word of the answer: ${answer}`);
    word = pick[0];
    assert.ok(answer.indexOf(word) < answer.length / 2, `${word} is early in: ${answer}`);
  });

  test("an answer with the word: replaced by the refusal (content_filter), whole", async () => {
    const r = await admin.chat.completions.create({
      ...greedy,
      messages: ask(QUESTION),
      // biome-ignore lint/suspicious/noExplicitAny: Tailor's extension of the request
      tailor: { moderation: { output: { blocked_terms: [word] }, refusal: "Not that." } } as any,
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    assert.equal(r.choices[0]?.message.content, "Not that.");
    assert.equal(r.choices[0]?.finish_reason, "content_filter");
    // retrieval still runs beside moderation: an unknown vector store is refused
    const both = await api("POST", "/v1/chat/completions", {
      ...greedy,
      messages: ask(QUESTION),
      tailor: {
        moderation: { output: { blocked_terms: [word] } },
        vector_store_ids: ["vs_nosuch"],
      },
    });
    assert.equal(both.status, 404, JSON.stringify(both.body));
    assert.match(both.body.error.message, /vs_nosuch/);
  });

  test("streamed: stopped at the word, never sending it, with the refusal and content_filter", async () => {
    const asked = engine.asked.length;
    const s = await streamed({
      ...greedy,
      stream: true,
      messages: ask(QUESTION),
      // biome-ignore lint/suspicious/noExplicitAny: Tailor's extension of the request
      tailor: { moderation: { output: { blocked_terms: [word] }, refusal: "Not that." } } as any,
    } as OpenAI.ChatCompletionCreateParamsStreaming);
    assert.equal(engine.asked.length, asked + 1);
    assert.equal(s.finish, "content_filter");
    assert.ok(s.content.endsWith("Not that."), s.content);
    const sent = s.content.slice(0, -"Not that.".length).trimEnd();
    assert.ok(answer.startsWith(sent), `only the answer's start went: ${JSON.stringify(sent)}`);
    assert.ok(!wordRe(word).test(sent), `${word} was never sent`);
    assert.ok(sent.length <= answer.indexOf(word), "nothing from the word on");
    assert.ok(sent.length > 0, "checked text before the word went out");
    // the engine is free at once for the next request (its generation was cancelled)
    const next = await admin.chat.completions.create({
      ...greedy,
      max_tokens: 3,
      messages: ask("hi"),
    });
    assert.equal(next.choices[0]?.finish_reason, "length");
  });

  test("flag_only by name: the stream passes unchanged, and the flag is logged with a masked excerpt", async () => {
    const made = await api("POST", "/v1/moderation/policies", {
      name: "watch",
      mode: "flag_only",
      output: { blocked_terms: [word] },
    });
    assert.equal(made.status, 200);
    const s = await streamed({
      ...greedy,
      stream: true,
      messages: ask(QUESTION),
      // biome-ignore lint/suspicious/noExplicitAny: Tailor's extension of the request
      tailor: { moderation: "watch" } as any,
    } as OpenAI.ChatCompletionCreateParamsStreaming);
    assert.equal(s.content, answer);
    assert.equal(s.finish, "length");
    const flags = await api("GET", "/v1/moderation/flags?policy=watch");
    assert.equal(flags.body.data.length, 1);
    const [flag] = flags.body.data;
    assert.equal(flag.action, "flagged");
    assert.equal(flag.stage, "output");
    assert.deepEqual(flag.hits, [{ kind: "term", rule: word }]);
    assert.equal(flag.text, null);
    assert.ok(!wordRe(word).test(flag.excerpt), `masked: ${flag.excerpt}`);
    assert.match(flag.excerpt, new RegExp(`${word[0]}\\*+`));
  });

  const EMAIL_TOOL: OpenAI.ChatCompletionTool[] = [
    {
      type: "function",
      function: {
        name: "send_mail",
        parameters: {
          type: "object",
          properties: { to: { type: "string", pattern: "^[a-z]{3}@example\\.com$" } },
          required: ["to"],
          additionalProperties: false,
        },
      },
    },
  ];
  const mailing = {
    ...greedy,
    max_tokens: 64,
    tools: EMAIL_TOOL,
    tool_choice: "required" as const,
    parallel_tool_calls: false,
  };

  test("personal data: redacted in a question the model sees, and in a call's arguments, whole and streamed", async () => {
    const redact = { input: { personal_data: "redact" }, output: { personal_data: "redact" } };
    const r = await admin.chat.completions.create({
      ...mailing,
      messages: ask("Mail ana.lopez@example.org please"),
      // biome-ignore lint/suspicious/noExplicitAny: Tailor's extension of the request
      tailor: { moderation: redact } as any,
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    const seen = engine.asked.at(-1)?.messages.find((m) => m.role === "user")?.content;
    assert.equal(seen, "Mail [EMAIL] please");
    const call = r.choices[0]?.message.tool_calls?.[0];
    assert.ok(call?.type === "function");
    // the model made up another address than the user gave: the next placeholder
    assert.match(call.function.arguments, /"\[EMAIL(_2)?\]"/);
    assert.doesNotMatch(call.function.arguments, /@/);
    assert.equal(r.choices[0]?.finish_reason, "tool_calls");

    const stream = admin.chat.completions.stream({
      ...mailing,
      messages: ask("Mail ana.lopez@example.org please"),
      // biome-ignore lint/suspicious/noExplicitAny: Tailor's extension of the request
      tailor: { moderation: redact } as any,
    } as Parameters<typeof admin.chat.completions.stream>[0]);
    const done = await stream.finalChatCompletion();
    const streamedCall = done.choices[0]?.message.tool_calls?.[0];
    assert.ok(streamedCall?.type === "function");
    assert.equal(streamedCall.function.arguments, call.function.arguments);
  });

  test("personal data blocked in a call's arguments: the refusal, no call, content_filter", async () => {
    const r = await admin.chat.completions.create({
      ...mailing,
      messages: ask("Mail them please"),
      // biome-ignore lint/suspicious/noExplicitAny: Tailor's extension of the request
      tailor: { moderation: { output: { personal_data: "block" } } } as any,
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    assert.equal(r.choices[0]?.finish_reason, "content_filter");
    assert.equal(r.choices[0]?.message.content, "Sorry, I can't help with that.");
    assert.equal(r.choices[0]?.message.tool_calls, undefined);
  });

  test("categories with the moderation model: an abusive question blocked with its score; a stream scored as it goes", async () => {
    const calm = {
      input: { categories: { harassment: 0.5 } },
      output: { categories: { harassment: 0.5, violence: 0.5 } },
    };
    const asked = engine.asked.length;
    const r = await admin.chat.completions.create({
      ...greedy,
      messages: ask("You are a worthless, pathetic idiot and everyone at work hates you."),
      // biome-ignore lint/suspicious/noExplicitAny: Tailor's extension of the request
      tailor: { moderation: { name: "calm", ...calm } } as any,
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    assert.equal(r.choices[0]?.finish_reason, "content_filter");
    assert.equal(engine.asked.length, asked, "the model was not asked");
    const [flag] = (await api("GET", "/v1/moderation/flags?policy=calm&limit=1")).body.data;
    assert.equal(flag.hits[0].kind, "category");
    assert.equal(flag.hits[0].rule, "harassment");
    assert.ok(flag.hits[0].score >= 0.5 && flag.hits[0].threshold === 0.5);
    // the tiny model's words score low: the whole answer passes, checked sentence by sentence
    const s = await streamed({
      ...greedy,
      stream: true,
      messages: ask(QUESTION),
      // biome-ignore lint/suspicious/noExplicitAny: Tailor's extension of the request
      tailor: { moderation: { name: "calm", ...calm } } as any,
    } as OpenAI.ChatCompletionCreateParamsStreaming);
    assert.deepEqual(
      { content: s.content, finish: s.finish },
      { content: answer, finish: "length" },
    );
  });

  test("managing policies: admins only, fields named, names unique; every key reads and tries", async () => {
    const bad = await api("POST", "/v1/moderation/policies", {
      name: "bad",
      output: { patterns: ["ok", "(unclosed"] },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.param, "output.patterns[1]");
    assert.match(bad.body.error.message, /missing closing \)/);
    assert.equal((await api("POST", "/v1/moderation/policies", { name: "watch" })).status, 409);
    const nope = await api("POST", "/v1/moderation/policies", { name: "mine" }, aliceKey);
    assert.equal(nope.status, 403);
    const unknown = await api("POST", "/v1/moderation/policies/watch/attach", {
      models: ["nosuch"],
    });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.param, "attached.models[0]");

    const list = await api("GET", "/v1/moderation/policies", undefined, aliceKey);
    assert.deepEqual(
      list.body.data.map((p: { name: string }) => p.name),
      ["no-passwords", "watch"],
    );
    const tried = await api(
      "POST",
      "/v1/moderation/policies/no-passwords/try",
      { text: "my password" },
      aliceKey,
    );
    assert.equal(tried.status, 200);
    assert.deepEqual(
      tried.body.decisions.map((d: { stage: string; action: string }) => `${d.stage}:${d.action}`),
      ["input:blocked", "output:allowed"],
    );
    assert.equal(tried.body.scores, null);
    const draft = await api("POST", "/v1/moderation/try", {
      policy: {
        output: { personal_data: "redact", patterns: ["order a-\\d{3}"] },
        mode: "enforce",
      },
      text: "Write to ana@example.com",
      stage: "output",
    });
    assert.equal(draft.body.decisions[0].action, "redacted");
    assert.equal(draft.body.decisions[0].text, "Write to [EMAIL]");
    const badDraft = await api("POST", "/v1/moderation/try", {
      policy: { input: { patterns: ["(x"] } },
      text: "t",
    });
    assert.equal(badDraft.body.error.param, "policy.input.patterns[0]");

    const changed = await api("POST", "/v1/moderation/policies/watch", {
      description: "watch the word",
      attached: { keys: [aliceKeyId] },
    });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal(changed.body.mode, "flag_only", "fields not given are kept");
    assert.equal(changed.body.attached.keys.length, 1);
  });

  test("flags: newest first, by policy, paged; a member sees her own requests' flags only", async () => {
    // watch is now attached to alice's key: her request is flagged without naming it
    const mine = await alice.chat.completions.create({ ...greedy, messages: ask(QUESTION) });
    assert.equal(mine.choices[0]?.message.content, answer, "flag_only changes nothing");
    const hers = await api("GET", "/v1/moderation/flags", undefined, aliceKey);
    assert.equal(hers.body.data.length, 1);
    assert.equal(hers.body.data[0].request_id, mine.id);
    assert.equal(hers.body.data[0].key_id, aliceKeyId);

    const all = await api("GET", "/v1/moderation/flags");
    const times = all.body.data.map((f: { created_at: number }) => f.created_at);
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
      "newest first",
    );
    assert.ok(
      all.body.data.length >= 6,
      `flags of every check that fired: ${all.body.data.length}`,
    );
    assert.equal(all.body.data[0].id, hers.body.data[0].id);
    const actions = new Set(all.body.data.map((f: { action: string }) => f.action));
    assert.deepEqual([...actions].sort(), ["blocked", "flagged", "redacted"]);
    const page1 = await api("GET", "/v1/moderation/flags?limit=2");
    const page2 = await api("GET", `/v1/moderation/flags?limit=2&after=${page1.body.last_id}`);
    assert.equal(page1.body.has_more, true);
    assert.deepEqual(
      [...page1.body.data, ...page2.body.data].map((f: { id: string }) => f.id),
      all.body.data.slice(0, 4).map((f: { id: string }) => f.id),
    );
    const blocked = await api("GET", "/v1/moderation/flags?policy=no-passwords");
    assert.equal(blocked.body.data.length, 2);
    assert.ok(blocked.body.data.every((f: { stage: string }) => f.stage === "input"));
    // each block is in the audit log too, refused, naming the policy
    const audited = await api("GET", "/v1/audit?action=moderation.blocked&limit=100");
    const entries = audited.body.data.filter(
      (e: { target: string }) => e.target === blocked.body.data[0].policy_id,
    );
    assert.equal(entries.length, 2);
    assert.ok(entries.every((e: { result: string }) => e.result === "denied"));
  });

  test("every response matches the OpenAPI document", async () => {
    assert.ok((await checkContract(server.url)) >= 10);
  });

  // last: bin/tailor runs synchronously, and the server's idle connections time out meanwhile
  test("the CLI on the same home: list, try, flags", () => {
    const list = tailor("policies", "list", "--json");
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      (JSON.parse(list.stdout) as { name: string }[]).map((p) => p.name),
      ["no-passwords", "watch"],
    );
    const tried = tailor(
      "policies",
      "try",
      "no-passwords",
      "the Password is x",
      "--stage",
      "input",
    );
    assert.equal(tried.code, 0, tried.stderr);
    assert.match(tried.stdout, /as a question: blocked: term password/);
    const flags = tailor("policies", "flags", "--policy", "watch", "--json");
    assert.equal(flags.code, 0, flags.stderr);
    const data = (JSON.parse(flags.stdout) as { data: { policy_name: string }[] }).data;
    assert.equal(data.length, 2);
    const bad = tailor("policies", "create", "x", "--output-pattern", "(x");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /output\.patterns\[0\]/);
  });
});
