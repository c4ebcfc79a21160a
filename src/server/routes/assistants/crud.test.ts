/**
 * `/v1/assistants` on a real listening server (no engine is asked: nothing here generates): the
 * official `openai` client's create/retrieve/update/list/delete, Tailor's settings with an HTTP
 * function whose secret header never comes back and is kept across updates, versions, refusals
 * naming their field, who sees what, and publishing.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import OpenAI from "openai";
import type { AssistantObject } from "../../../../protocol/api/assistants.ts";
import { readLocalAdminKey } from "../../../auth/index.ts";
import { cliSandbox } from "../../../cli/__fixtures__/cli.ts";
import { openServices, type Services } from "../../../services/index.ts";
import { type RunningServer, startServer } from "../../index.ts";

const { home } = cliSandbox("tailor-assistants-api-");
const MODEL = "smollm2-135m-instruct"; // a base model every key may use (never loaded here)
const SECRET = "sk-live-7a6b5c4d3e2f";

let server: RunningServer;
let services: Services;
let client: OpenAI;
const keys = { admin: "", alice: "", bob: "", viewer: "" };

before(async () => {
  server = await startServer({ home, port: 0, worker: false, studioDir: null });
  services = openServices(home);
  keys.admin = readLocalAdminKey(home) ?? "";
  keys.alice = services.keys.create({ name: "alice", role: "member" }).key;
  keys.bob = services.keys.create({ name: "bob", role: "member" }).key;
  keys.viewer = services.keys.create({ name: "ann", owner: "alice", role: "viewer" }).key;
  client = new OpenAI({ apiKey: keys.admin, baseURL: `${server.url}/v1`, maxRetries: 0 });
});
after(async () => {
  services?.close();
  await server?.close();
});

interface Answer {
  status: number;
  text: string;
  json: AssistantObject & {
    error?: { message: string; param: string | null };
    data?: AssistantObject[];
  };
}

async function call(
  method: string,
  path: string,
  body?: unknown,
  key = keys.alice,
): Promise<Answer> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) };
}

const ordersFn = (secretValue: string | null) => ({
  kind: "http",
  name: "order_status",
  description: "Where an order is",
  url: "https://shop.example.com/orders/{order_id}",
  method: "GET",
  parameters: {
    type: "object",
    properties: { order_id: { type: "string" } },
    required: ["order_id"],
  },
  headers: [
    { name: "Authorization", value: secretValue, secret: true },
    { name: "X-Shop", value: "main" },
  ],
});

/** The secret value as the runner would send it (read through the store, never the API). */
const storedSecret = (id: string) => {
  const fn = services.assistants.runtime(id).settings.functions[0];
  return fn?.kind === "http" ? fn.headers[0]?.value : undefined;
};

test("the official client: create, retrieve, update, list, delete", async () => {
  const made = await client.beta.assistants.create({
    model: MODEL,
    name: "Course tutor",
    instructions: "Answer questions about the course.",
    temperature: 0.3,
    tools: [
      {
        type: "function",
        function: {
          name: "grade_lookup",
          parameters: { type: "object", properties: { student: { type: "string" } } },
        },
      },
    ],
  });
  assert.match(made.id, /^asst_[A-Za-z0-9]{24}$/);
  assert.equal(made.object, "assistant");
  assert.equal(made.model, MODEL);
  assert.equal(made.instructions, "Answer questions about the course.");
  assert.equal(made.temperature, 0.3);
  assert.deepEqual(made.tools, [
    {
      type: "function",
      function: {
        name: "grade_lookup",
        description: "",
        parameters: { type: "object", properties: { student: { type: "string" } } },
      },
    },
  ]);
  const tailor = (made as unknown as AssistantObject).tailor;
  assert.equal(tailor.version, 1);
  assert.equal(tailor.settings.functions[0]?.kind, "client");
  assert.equal(tailor.share_path, null);

  const got = await client.beta.assistants.retrieve(made.id);
  assert.equal(got.name, "Course tutor");
  const changed = await client.beta.assistants.update(made.id, { top_p: 0.9, instructions: null });
  assert.equal(changed.top_p, 0.9);
  assert.equal(changed.temperature, 0.3, "what is not given is kept");
  assert.equal(changed.instructions, "");
  assert.equal((changed as unknown as AssistantObject).tailor.version, 2);

  const bare = await client.beta.assistants.create({ model: MODEL });
  assert.equal(bare.name, "Untitled assistant");
  const ids = [];
  for await (const a of client.beta.assistants.list({ limit: 1 })) ids.push(a.id);
  assert.deepEqual(ids.slice(0, 2), [bare.id, made.id], "newest first, page by page");

  const gone = await client.beta.assistants.delete(made.id);
  assert.deepEqual(gone, { id: made.id, object: "assistant.deleted", deleted: true });
  await assert.rejects(client.beta.assistants.retrieve(made.id), OpenAI.NotFoundError);
  await assert.rejects(
    client.beta.assistants.create({ model: MODEL, tools: [{ type: "code_interpreter" }] }),
    (e: InstanceType<typeof OpenAI.BadRequestError>) =>
      e.status === 400 && /tools\[0\]: Tailor's assistants run no code/.test(e.message),
  );
});

test("a secret header is never shown, is kept across updates (and OpenAI's tools sent back), and each change is a version", async () => {
  const made = await call("POST", "/v1/assistants", {
    name: "Shop helper",
    model: MODEL,
    functions: [ordersFn(`Bearer ${SECRET}`)],
  });
  assert.equal(made.status, 200, made.text);
  const id = made.json.id;
  assert.deepEqual(made.json.tailor.settings.allowed_hosts, ["shop.example.com"]);
  assert.equal(storedSecret(id), `Bearer ${SECRET}`);

  const sentBack = await call("POST", `/v1/assistants/${id}`, {
    greeting: "Hello! Ask me about your order.",
    functions: made.json.tailor.settings.functions,
  });
  assert.equal(sentBack.json.tailor.version, 2);
  const viaTools = await call("POST", `/v1/assistants/${id}`, { tools: made.json.tools });
  assert.equal(viaTools.json.tailor.version, 3);
  assert.equal(
    viaTools.json.tailor.settings.functions[0]?.kind,
    "http",
    "the HTTP function is kept",
  );
  assert.equal(storedSecret(id), `Bearer ${SECRET}`, "kept through both");

  const refused = await call("POST", `/v1/assistants/${id}`, {
    functions: [{ ...ordersFn(null), headers: [{ name: "X-Api-Key", value: null, secret: true }] }],
  });
  assert.equal(refused.status, 400);
  assert.equal(refused.json.error?.param, "functions[0].headers[0].value");
  assert.match(refused.json.error?.message ?? "", /a new secret needs its value/);

  const versions = await call("GET", `/v1/assistants/${id}/versions`);
  assert.deepEqual(
    versions.json.data?.map((v) => (v as unknown as { version: number }).version),
    [3, 2, 1],
  );
  const v1 = await call("GET", `/v1/assistants/${id}/versions/1`);
  assert.equal((v1.json as unknown as { settings: { greeting: string } }).settings.greeting, "");
  assert.equal((await call("GET", `/v1/assistants/${id}/versions/9`)).status, 404);
  const published = await call("POST", `/v1/assistants/${id}/publish`, {});
  const everything = [made, sentBack, viaTools, versions, v1, published];
  everything.push(await call("GET", `/v1/assistants/${id}`), await call("GET", "/v1/assistants"));
  everything.push(await call("GET", "/v1/assistants", undefined, keys.admin));
  for (const r of everything) assert.doesNotMatch(r.text, new RegExp(SECRET));
});

test("refusals name the field: URLs, unknown models, others' vector stores, policies, tools with functions", async () => {
  const cases: [unknown, number, string, RegExp][] = [
    [
      {
        name: "x",
        model: MODEL,
        functions: [{ ...ordersFn("v"), url: "ftp://shop.example.com/x" }],
      },
      400,
      "functions[0].url",
      /https:\/\//,
    ],
    [
      { name: "x", model: MODEL, functions: [{ ...ordersFn("v"), url: "nope" }] },
      400,
      "functions[0].url",
      /./,
    ],
    [{ name: "x", model: "nope" }, 404, "model", /'nope' does not exist/],
    [
      { name: "x", model: MODEL, moderation_policy: "no-such" },
      404,
      "moderation_policy",
      /no moderation policy "no-such"/,
    ],
    [{ name: "x", model: MODEL, functions: [], tools: [] }, 400, "tools", /not both/],
    [
      { name: "x", model: MODEL, allowed_hosts: ["api.example.org"], functions: [ordersFn("v")] },
      400,
      "functions[0].url",
      /not in allowed_hosts/,
    ],
  ];
  for (const [body, status, param, message] of cases) {
    const r = await call("POST", "/v1/assistants", body);
    assert.equal(r.status, status, r.text);
    assert.equal(r.json.error?.param, param, r.text);
    assert.match(r.json.error?.message ?? "", message);
  }
  const vs = await call("POST", "/v1/vector_stores", { name: "bob's notes" }, keys.bob);
  assert.equal(vs.status, 200, vs.text);
  const theirs = await call("POST", "/v1/assistants", {
    model: MODEL,
    tool_resources: { file_search: { vector_store_ids: [vs.json.id] } },
  });
  assert.equal(theirs.status, 404);
  assert.equal(theirs.json.error?.param, "knowledge.vector_store_ids[0]");
  const own = await call(
    "POST",
    "/v1/assistants",
    {
      model: MODEL,
      tools: [{ type: "file_search", file_search: { max_num_results: 3 } }],
      tool_resources: { file_search: { vector_store_ids: [vs.json.id] } },
    },
    keys.bob,
  );
  assert.equal(own.status, 200, own.text);
  assert.deepEqual(own.json.tools, [{ type: "file_search" }]);
  assert.deepEqual(own.json.tailor.settings.knowledge, {
    vector_store_ids: [vs.json.id],
    max_passages: 3,
  });
});

test("members see only their own (others' ids are 404), admins all, viewers read only", async () => {
  const mine = await call("POST", "/v1/assistants", { name: "alice's", model: MODEL });
  const id = mine.json.id;
  for (const [method, path, body] of [
    ["GET", `/v1/assistants/${id}`],
    ["POST", `/v1/assistants/${id}`, { name: "taken over" }],
    ["DELETE", `/v1/assistants/${id}`],
    ["GET", `/v1/assistants/${id}/versions`],
    ["POST", `/v1/assistants/${id}/publish`, {}],
  ] as const) {
    const r = await call(method, path, body, keys.bob);
    assert.equal(r.status, 404, `${method} ${path}`);
    assert.match(r.json.error?.message ?? "", new RegExp(`no assistant ${id}`));
  }
  const bobs = await call("GET", "/v1/assistants", undefined, keys.bob);
  assert.ok(bobs.json.data?.every((a) => a.tailor.owner === "bob"));
  const all = await call("GET", "/v1/assistants", undefined, keys.admin);
  assert.ok(all.json.data?.some((a) => a.id === id));
  assert.equal((await call("GET", `/v1/assistants/${id}`, undefined, keys.viewer)).status, 200);
  const viewerWrite = await call("POST", `/v1/assistants/${id}`, { name: "v" }, keys.viewer);
  assert.equal(viewerWrite.status, 403);
  assert.equal(
    (await call("POST", "/v1/assistants", { name: "v", model: MODEL }, keys.viewer)).status,
    403,
  );
  assert.equal(services.assistants.get(id).settings.name, "alice's");
});

test("publish: a share path, a passcode checked, a taken slug refused; unpublish takes the page down at once", async () => {
  const a = await call("POST", "/v1/assistants", { name: "Clinic intake", model: MODEL });
  const id = a.json.id;
  const noCode = await call("POST", `/v1/assistants/${id}/publish`, { access: "passcode" });
  assert.equal(noCode.status, 400);
  assert.equal(noCode.json.error?.param, "passcode");
  const p = await call("POST", `/v1/assistants/${id}/publish`, {
    access: "passcode",
    passcode: "clinic-2026",
    visitor_requests_per_minute: 5,
  });
  assert.equal(p.status, 200, p.text);
  const slug = p.json.tailor.publication.slug ?? "";
  assert.match(slug, /^clinic-intake-[a-z0-9]{4}$/);
  assert.equal(p.json.tailor.share_path, `/a/${slug}`);
  assert.deepEqual(
    { ...p.json.tailor.publication, published_at: 0 },
    { published: true, slug, access: "passcode", visitor_requests_per_minute: 5, published_at: 0 },
  );
  assert.doesNotMatch(p.text, /clinic-2026/);
  assert.equal(services.assistants.bySlug(slug)?.id, id);
  assert.equal(services.assistants.checkPasscode(id, "clinic-2026"), true);
  assert.equal(services.assistants.checkPasscode(id, "clinic-2025"), false);

  const other = await call("POST", "/v1/assistants", { name: "other", model: MODEL }, keys.bob);
  const taken = await call("POST", `/v1/assistants/${other.json.id}/publish`, { slug }, keys.bob);
  assert.equal(taken.status, 409);
  assert.equal(taken.json.error?.param, "slug");

  const down = await call("POST", `/v1/assistants/${id}/unpublish`);
  assert.equal(down.json.tailor.share_path, null);
  assert.equal(down.json.tailor.publication.published, false);
  assert.equal(services.assistants.bySlug(slug), null);
});
