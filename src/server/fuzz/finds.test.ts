/**
 * What the API fuzzer (fuzz.e2e.test.ts) found, each as the exact request it sent, against a real
 * listening server: every answer must be one the served OpenAPI document describes for that
 * operation (its status listed, its JSON body valid under that status's schema).
 *
 * 1. Answers the middleware gives before a route runs were in no operation's list: 401 (no key),
 *    403 (a member asking for the audit log), 429; nor was 400 for a query or body the document
 *    itself rules out (GET /v1/files?limit=1001, GET /v1/audit?limit=1001, GET
 *    /v1/models/tiny/card?format=AAA, POST /v1/models/{model}/share without a body).
 * 2. GET /v1/files?after=<unknown> answered 404, undocumented for the list.
 * 3. A job's event stream was documented as bare FineTuningJobEvent/FineTuningJob objects, while
 *    each server-sent event carries them as JSON text in `data`; and ?after=-1, which the document
 *    rules out, was taken as "from the start".
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import { KeyStore } from "../../auth/index.ts";
import { cliSandbox } from "../../cli/__fixtures__/cli.ts";
import { openDb } from "../../store/index.ts";
import { type RunningServer, startServer } from "../index.ts";
import { seedMember } from "./members.ts";

type Responses = Record<string, { content?: Record<string, { schema: unknown }> }>;
interface Doc {
  paths: Record<string, Record<string, { responses: Responses }>>;
  components: { schemas: Record<string, unknown> };
}

const { home, tiny } = cliSandbox("tailor-fuzz-finds-", { HF_HUB_OFFLINE: "1" });
let server: RunningServer;
let doc: Doc;
let ajv: Ajv2020;
const keys = { member: "", memberId: "" };

before(async () => {
  tiny();
  server = await startServer({ home, port: 0, worker: false, studioDir: null });
  const store = new KeyStore(openDb(home));
  const made = store.create({ name: "mia", role: "member" });
  store.db.close();
  keys.member = made.key;
  keys.memberId = made.record.id;
  doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as Doc;
  ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema({ $id: "openapi", ...doc });
});
after(async () => server?.close());

/** Sends the request and checks the answer against `template`'s entry in the document. */
async function documented(
  method: string,
  template: string,
  path: string,
  init: { key?: string; body?: string } = {},
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(init.key ? { authorization: `Bearer ${init.key}` } : {}),
      ...(init.body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  const body = (await res.json()) as unknown;
  const op = doc.paths[template]?.[method.toLowerCase()];
  assert.ok(op, `${method} ${template} is in the document`);
  const entry = op.responses[String(res.status)];
  assert.ok(entry, `${method} ${path}: ${res.status} is documented (${JSON.stringify(body)})`);
  const pointer = `openapi#/paths/${template.replaceAll("/", "~1")}/${method.toLowerCase()}/responses/${res.status}/content/application~1json/schema`;
  const validate = ajv.getSchema(pointer) ?? ajv.compile({ $ref: pointer });
  assert.ok(validate(body), `${method} ${path} ${res.status}: ${ajv.errorsText(validate.errors)}`);
  return { status: res.status, body };
}

test("answers from before the route (no key, a role that may not) are documented", async () => {
  assert.equal((await documented("GET", "/v1/files", "/v1/files")).status, 401);
  const bad = { key: "tailor-sk-0000" };
  assert.equal((await documented("DELETE", "/v1/files/{file_id}", "/v1/files/x", bad)).status, 401);
  const audit = await documented("GET", "/v1/audit", "/v1/audit", { key: keys.member });
  assert.equal(audit.status, 403);
});

test("input the document rules out is a documented 400 naming the field", async () => {
  const key = keys.member;
  const cases: [string, string, string, string, string?][] = [
    ["GET", "/v1/files", "/v1/files?limit=1001", "limit"],
    ["GET", "/v1/audit", "/v1/audit?limit=1001", "limit"],
    ["GET", "/v1/models/{model}/card", "/v1/models/tiny/card?format=AAA", "format"],
    ["POST", "/v1/models/{model}/share", "/v1/models/smollm2-135m-instruct/share", "shared", "{}"],
  ];
  for (const [method, template, path, param, body] of cases) {
    const r = await documented(method, template, path, { key, ...(body ? { body } : {}) });
    assert.equal(r.status, 400, path);
    assert.equal((r.body as { error: { param: string } }).error.param, param, path);
  }
});

test("a list's unknown `after` is a documented 404", async () => {
  const r = await documented("GET", "/v1/files", "/v1/files?after=file-unknown", {
    key: keys.member,
  });
  assert.equal(r.status, 404);
});

test("a job's stream: each event as documented, data the event or job as JSON; after=-1 refused", async () => {
  const mine = await seedMember(
    server.url,
    { name: "mia", key: keys.member, keyId: keys.memberId },
    "tiny",
  );
  const job = mine.ids.fine_tuning_job_id;
  const auth = { authorization: `Bearer ${keys.member}` };
  const cancel = await fetch(`${server.url}/v1/fine_tuning/jobs/${job}/cancel`, {
    method: "POST",
    headers: auth,
  });
  assert.equal(cancel.status, 200, "a cancelled job's stream ends");
  const template = "/v1/fine_tuning/jobs/{fine_tuning_job_id}/stream";
  const refused = await documented("GET", template, `/v1/fine_tuning/jobs/${job}/stream?after=-1`, {
    key: keys.member,
  });
  assert.equal(refused.status, 400);
  assert.equal((refused.body as { error: { param: string } }).error.param, "after");

  const res = await fetch(`${server.url}/v1/fine_tuning/jobs/${job}/stream?after=0`, {
    headers: auth,
  });
  assert.equal(res.status, 200);
  const events = (await res.text())
    .split("\n\n")
    .filter((block) => block.trim())
    .map((block) => {
      const e: Record<string, string> = {};
      for (const line of block.split("\n")) {
        const [field, ...rest] = line.split(":");
        if (field) e[field] = rest.join(":").trimStart();
      }
      return e;
    });
  const pointer = `openapi#/paths/${template.replaceAll("/", "~1")}/get/responses/200/content/text~1event-stream/schema`;
  const validate = ajv.getSchema(pointer) ?? ajv.compile({ $ref: pointer });
  assert.ok(events.length >= 2, "the events, then done");
  for (const e of events)
    assert.ok(validate(e), `${JSON.stringify(e)}: ${ajv.errorsText(validate.errors)}`);
  const last = events.at(-1);
  assert.equal(last?.event, "done");
  const event = ajv.compile({ $ref: "openapi#/components/schemas/FineTuningJobEvent" });
  const jobSchema = ajv.compile({ $ref: "openapi#/components/schemas/FineTuningJob" });
  for (const e of events.slice(0, -1)) assert.ok(event(JSON.parse(e.data ?? "")), e.data);
  const final = JSON.parse(last?.data ?? "") as { id: string; status: string };
  assert.ok(jobSchema(final), ajv.errorsText(jobSchema.errors));
  assert.deepEqual([final.id, final.status], [job, "cancelled"]);
});
