/**
 * `/v1/review/items` and `/v1/model_names/{name}/regression` on a real listening server (no engine
 * is asked: nothing generates, names are not looked for): who sees which items, accepting as
 * proposed or edited, the refusals (nothing proposed, decided twice, a viewer), redaction, and the
 * regression set pinned by hand and from a reviewed item.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { NewReviewItem, RegressionExample, ReviewItem } from "../../../protocol/review.ts";
import { readLocalAdminKey } from "../../auth/index.ts";
import { cliSandbox } from "../../cli/__fixtures__/cli.ts";
import { openServices, type Services } from "../../services/index.ts";
import { type RunningServer, startServer } from "../index.ts";

const { home } = cliSandbox("tailor-review-api-");
const MODEL = "smollm2-135m-instruct"; // a base model (never loaded here)

let server: RunningServer;
let services: Services;
const keys = { admin: "", alice: "", bob: "", viewer: "" };

before(async () => {
  server = await startServer({ home, port: 0, worker: false, studioDir: null });
  services = openServices(home);
  keys.admin = readLocalAdminKey(home) ?? "";
  keys.alice = services.keys.create({ name: "alice", role: "member" }).key;
  keys.bob = services.keys.create({ name: "bob", role: "member" }).key;
  keys.viewer = services.keys.create({ name: "ann", owner: "alice", role: "viewer" }).key;
  services.modelNames.create("support", "alice", MODEL, "alice", "the support bot");
});
after(async () => {
  services?.close();
  await server?.close();
});

interface Answer<T> {
  status: number;
  json: T & { error?: { message: string; param: string | null }; data?: T[] };
}

async function call<T = ReviewItem>(
  method: string,
  path: string,
  key: string,
  body?: unknown,
): Promise<Answer<T>> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Answer<T>["json"] };
}

let n = 0;
const file = (owner: string, f: Partial<ReviewItem["feedback"]>, answer = "Open every day.") => {
  n++;
  const item: NewReviewItem = {
    source: "completion",
    source_id: `chatcmpl-${n}`,
    message_id: null,
    model: "support",
    resolved_model: MODEL,
    owner,
    question: [{ role: "user", content: `Are you open on Sunday? Mail me at pat${n}@example.com` }],
    answer,
    feedback: { rating: null, wrong: false, comment: null, correction: null, ...f },
  };
  return services.review.file(item);
};

test("members see and decide their own answers' items; admins all; viewers read", async () => {
  const up = file("alice", { rating: "up" });
  const down = file("alice", { rating: "down" });
  const bobs = file("bob", { rating: "up" });

  const mine = await call("GET", "/v1/review/items", keys.alice);
  assert.equal(mine.status, 200);
  assert.deepEqual(
    mine.json.data?.map((i) => i.id),
    [up.id, down.id],
  );
  const all = await call("GET", "/v1/review/items?model=support&limit=100", keys.admin);
  assert.ok(all.json.data?.some((i) => i.id === bobs.id));
  assert.equal((await call("GET", `/v1/review/items/${bobs.id}`, keys.alice)).status, 404);
  assert.equal((await call("POST", `/v1/review/items/${bobs.id}/accept`, keys.alice)).status, 404);
  assert.equal((await call("GET", `/v1/review/items/${up.id}`, keys.viewer)).status, 200);
  const viewer = await call("POST", `/v1/review/items/${up.id}/accept`, keys.viewer, {});
  assert.equal(viewer.status, 403);
  assert.equal(
    (await call("GET", "/v1/review/items?status=maybe", keys.alice)).json.error?.param,
    "status",
  );

  // accepted as proposed (no body at all), recorded with the key's owner
  const accepted = await call("POST", `/v1/review/items/${up.id}/accept`, keys.alice);
  assert.equal(accepted.status, 200, JSON.stringify(accepted.json));
  assert.equal(accepted.json.final_answer, "Open every day.");
  assert.equal(accepted.json.reviewer, "alice");

  // rated down with no correction: an edit is needed
  const bare = await call("POST", `/v1/review/items/${down.id}/accept`, keys.alice, {});
  assert.equal(bare.status, 400);
  assert.match(bare.json.error?.message ?? "", /rated down with no correction/);
  const edited = await call("POST", `/v1/review/items/${down.id}/accept`, keys.alice, {
    answer: "Closed on Sundays.",
    note: "hours changed",
  });
  assert.equal(edited.json.final_answer, "Closed on Sundays.");
  const twice = await call("POST", `/v1/review/items/${down.id}/reject`, keys.admin, {});
  assert.equal(twice.status, 409);
  assert.match(twice.json.error?.message ?? "", /already accepted by alice on /);

  const rejected = await call("POST", `/v1/review/items/${bobs.id}/reject`, keys.admin, {
    note: "not ours",
  });
  assert.equal(rejected.json.status, "rejected");
  assert.equal(rejected.json.reviewer, "local-admin");
  const done = await call("GET", "/v1/review/items?status=accepted", keys.alice);
  assert.deepEqual(
    done.json.data?.map((i) => i.id),
    [up.id, down.id],
  );
});

test("redaction replaces the personal data found", async () => {
  const item = file("alice", { rating: "down", correction: "Call 415-555-2671 on Monday." });
  assert.deepEqual(
    item.pii.map((f) => `${f.kind} in ${f.where}`),
    ["EMAIL in question", "PHONE in proposed"],
  );
  const r = await call<{ item: ReviewItem; replaced: Record<string, number> }>(
    "POST",
    `/v1/review/items/${item.id}/redact`,
    keys.alice,
    { names: false },
  );
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual(r.json.replaced, { EMAIL: 1, PHONE: 2 });
  assert.equal(r.json.item.question[0]?.content, "Are you open on Sunday? Mail me at [EMAIL]");
  assert.equal(r.json.item.proposed, "Call [PHONE] on Monday.");
  assert.equal(r.json.item.redacted, true);
  assert.deepEqual(r.json.item.pii, []);
});

test("the regression set: the name's owner pins by hand or from an accepted item, lists, unpins", async () => {
  const path = "/v1/model_names/support/regression";
  const byHand = await call<RegressionExample>("POST", path, keys.alice, {
    messages: [{ role: "user", content: "Do you fix e-bikes?" }],
    expected: "Yes, every model.",
    note: "core promise",
  });
  assert.equal(byHand.status, 200, JSON.stringify(byHand.json));
  assert.equal(byHand.json.pinned_by, "alice");

  const pending = file("alice", { rating: "down" });
  const refused = await call("POST", path, keys.alice, { review_item: pending.id });
  assert.equal(refused.status, 409);
  assert.match(refused.json.error?.message ?? "", /accept it first/);
  services.review.accept(pending.id, "alice", { answer: "We are closed on Sundays." });
  const fromItem = await call<RegressionExample>("POST", path, keys.alice, {
    review_item: pending.id,
  });
  assert.equal(fromItem.json.expected, "We are closed on Sundays.");
  assert.deepEqual(fromItem.json.messages, pending.question);

  const bad = await call("POST", path, keys.alice, { messages: [], expected: "x" });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error?.param, "messages");
  // another member's name, or an item of another's answer, is not there for them
  assert.equal((await call("GET", path, keys.bob)).status, 404);
  assert.equal(
    (await call("POST", path, keys.bob, { messages: byHand.json.messages, expected: "No." }))
      .status,
    404,
  );
  assert.equal((await call("POST", path, keys.viewer, { review_item: pending.id })).status, 403);

  const list = await call<RegressionExample>("GET", path, keys.viewer);
  assert.deepEqual(
    list.json.data?.map((e) => e.id),
    [byHand.json.id, fromItem.json.id],
  );
  assert.equal(
    (await call("DELETE", `/v1/model_names/other/regression/${byHand.json.id}`, keys.admin)).status,
    404,
  );
  const gone = await call("DELETE", `${path}/${byHand.json.id}`, keys.alice);
  assert.deepEqual(gone.json, {
    id: byHand.json.id,
    object: "regression_example.deleted",
    deleted: true,
  });
  assert.deepEqual(
    services.regression.list("support").map((e) => e.id),
    [fromItem.json.id],
  );
});

test("documented in /openapi.json", async () => {
  const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, unknown>>;
  };
  for (const [path, methods] of Object.entries({
    "/v1/review/items": ["get"],
    "/v1/review/items/{id}": ["get"],
    "/v1/review/items/{id}/accept": ["post"],
    "/v1/review/items/{id}/reject": ["post"],
    "/v1/review/items/{id}/redact": ["post"],
    "/v1/model_names/{name}/regression": ["get", "post"],
    "/v1/model_names/{name}/regression/{id}": ["delete"],
  }))
    assert.deepEqual(Object.keys(doc.paths[path] ?? {}).sort(), methods, path);
});
