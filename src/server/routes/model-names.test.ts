/**
 * `/v1/model_names` in process (hono's app.request) on real SQLite: name a model, add a version,
 * promote, roll back, settings, delete, each change in the history with the key and why and in the
 * audit log; members see only their own names (another's is a 404), viewers read, admins all;
 * bodies refused by field. The models are base models registered as folders (never loaded: nothing
 * here generates; resolution itself is tested in src/models/names/resolve.test.ts).
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ModelNameDetail, ModelNameList } from "../../../protocol/api/model-names.ts";
import { ensureAdminKey, RateLimiter, readLocalAdminKey } from "../../auth/index.ts";
import { cliSandbox } from "../../cli/__fixtures__/cli.ts";
import { PlanCache } from "../../jobs/index.ts";
import { KnowledgeBase } from "../../knowledge/index.ts";
import { MANIFEST_FILE, type ModelManifest } from "../../models/index.ts";
import { EngineModerator, EngineNameFinder } from "../../safety/index.ts";
import { openServices, type Services } from "../../services/index.ts";
import { InferenceEngine, pytorchChat } from "../../serving/index.ts";
import { buildApp } from "../app.ts";
import { DEFAULT_LIMITS } from "../context.ts";

const { home } = cliSandbox("tailor-model-names-api-");
const ADMINS = "ft:base-a:admins:0a1b2c3d";

function register(name: string, manifest: ModelManifest): void {
  const dir = join(home, "models", name.replaceAll(":", "_"));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(manifest));
}
const base = (name: string): ModelManifest => ({
  kind: "base",
  name,
  created_at: 1,
  source: { kind: "hf_dir", path: join(home, "weights") },
});

describe("/v1/model_names", () => {
  let services: Services;
  let app: ReturnType<typeof buildApp>;
  const inference = new InferenceEngine();
  const keys = { admin: "", alice: "", bob: "", viewer: "" };
  const ids = { alice: "" };

  before(() => {
    register("base-a", base("base-a"));
    register("base-b", base("base-b"));
    // a fine-tune no member made (its job is unknown): only admins may use it
    register(ADMINS, {
      kind: "fine_tuned",
      name: ADMINS,
      created_at: 1,
      base: { name: "base-a", source: { kind: "hf_dir", path: join(home, "weights") } },
      training: {
        job_id: "ftjob-elsewhere",
        train_file: "ds-1",
        train_examples: 12,
        epochs: 1,
        learning_rate: 1e-3,
        batch_size: 4,
        lora_rank: 8,
        lora_alpha: 16,
        seed: 42,
        steps: 3,
        first_train_loss: 2,
        final_train_loss: 1,
        train_seconds: 1,
      },
    });
    services = openServices(home);
    ensureAdminKey(home, services.keys);
    keys.admin = readLocalAdminKey(home) ?? "";
    const alice = services.keys.create({ name: "alice", role: "member" });
    keys.alice = alice.key;
    ids.alice = alice.record.id;
    keys.bob = services.keys.create({ name: "bob", role: "member" }).key;
    keys.viewer = services.keys.create({ name: "ann", owner: "alice", role: "viewer" }).key;
    app = buildApp({
      ...services,
      plans: new PlanCache(services),
      inference,
      ...pytorchChat(inference),
      safety: inference,
      moderator: new EngineModerator(inference),
      names: new EngineNameFinder(inference),
      knowledge: new KnowledgeBase(services.db, { embedder: inference, files: services.files }),
      limiter: new RateLimiter({ requestsPerMinute: 1000 }),
      limits: DEFAULT_LIMITS,
      functionPrivateHosts: [],
      studioDir: null,
    });
  });
  after(async () => {
    await inference.close();
    services.close();
  });

  const call = async (method: string, path: string, key: string, body?: unknown) => {
    const res = await app.request(`/v1/model_names${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as Record<string, unknown> & {
      error?: { message: string; param: string | null; code: string };
    };
    return { status: res.status, json };
  };

  test("name, add, promote, roll back: the history keeps the key and why; the audit log each change", async () => {
    const made = await call("POST", "", keys.alice, {
      name: "support",
      model: "base-a",
      why: "our support answers",
      store_completions: true,
      retention_days: 14,
    });
    assert.equal(made.status, 200, JSON.stringify(made.json));
    const n = ModelNameDetail.parse(made.json);
    assert.equal(n.current, 1);
    assert.equal(n.current_model, "base-a");
    assert.equal(n.owner, "alice");
    assert.equal(n.store_completions, true);
    assert.equal(n.retention_days, 14);

    const added = await call("POST", "/support/versions", keys.alice, {
      model: "base-b",
      why: "trained on the new price list",
    });
    assert.equal(added.status, 200, JSON.stringify(added.json));
    const withV2 = ModelNameDetail.parse(added.json);
    assert.equal(withV2.versions.at(-1)?.version, 2);
    assert.equal(withV2.current, 1, "added, not answering yet");

    const promoted = await call("POST", "/support/promote", keys.alice, {
      version: "v2",
      why: "better on the new prices",
    });
    assert.equal(promoted.status, 200, JSON.stringify(promoted.json));
    assert.equal(ModelNameDetail.parse(promoted.json).current_model, "base-b");

    const back = await call("POST", "/support/rollback", keys.alice, {
      why: "customers complained",
    });
    assert.equal(back.status, 200, JSON.stringify(back.json));
    const after = ModelNameDetail.parse(back.json);
    assert.equal(after.current, 1);
    assert.deepEqual(
      after.history.map((e) => [e.action, e.from_version, e.to_version, e.who, e.why]),
      [
        ["create", null, 1, ids.alice, "our support answers"],
        ["add", null, 2, ids.alice, "trained on the new price list"],
        ["promote", 1, 2, ids.alice, "better on the new prices"],
        ["rollback", 2, 1, ids.alice, "customers complained"],
      ],
    );
    const audited = services.audit
      .list({ limit: 20 })
      .filter((e) => e.action.includes("model_names"))
      .map((e) => `${e.action} ${e.target ?? "-"} ${e.result}`);
    for (const a of [
      "POST /v1/model_names - ok",
      "POST /v1/model_names/:name/versions support ok",
      "POST /v1/model_names/:name/promote support ok",
      "POST /v1/model_names/:name/rollback support ok",
    ])
      assert.ok(audited.includes(a), `${a} in ${audited.join(" | ")}`);
    // with the version and why (helper H: the route hands them to the audit middleware)
    const rolledBack = services.audit
      .list({ limit: 20 })
      .find((e) => e.action === "POST /v1/model_names/:name/rollback");
    assert.deepEqual(rolledBack?.details, { from: 2, to: 1, why: "customers complained" });

    const settings = await call("POST", "/support", keys.alice, { store_completions: false });
    assert.equal(ModelNameDetail.parse(settings.json).store_completions, false);
    assert.equal(ModelNameDetail.parse(settings.json).retention_days, 14);
  });

  test("members see only their own names; viewers read; admins all", async () => {
    await call("POST", "", keys.bob, { name: "sales", model: "base-a" });
    const mine = ModelNameList.parse((await call("GET", "", keys.alice)).json);
    assert.deepEqual(
      mine.data.map((n) => n.name),
      ["support"],
    );
    const all = ModelNameList.parse((await call("GET", "", keys.admin)).json);
    assert.deepEqual(
      all.data.map((n) => n.name),
      ["sales", "support"],
    );

    for (const [method, path, body] of [
      ["GET", "/support", undefined],
      ["POST", "/support/promote", { version: 2, why: "mine now" }],
      ["POST", "/support/rollback", { why: "x" }],
      ["POST", "/support/versions", { model: "base-b", why: "x" }],
      ["POST", "/support", { retention_days: 1 }],
      ["DELETE", "/support", undefined],
    ] as const) {
      const r = await call(method, path, keys.bob, body);
      assert.equal(r.status, 404, `${method} ${path}: ${JSON.stringify(r.json)}`);
      assert.match(r.json.error?.message ?? "", /no model name 'support'/);
    }

    const read = await call("GET", "/support", keys.viewer);
    assert.equal(read.status, 200);
    const refused = await call("POST", "/support/promote", keys.viewer, { version: 2, why: "x" });
    assert.equal(refused.status, 403);
    assert.match(refused.json.error?.message ?? "", /viewer key may not promote/);
    assert.equal(
      ModelNameDetail.parse((await call("GET", "/sales", keys.admin)).json).owner,
      "bob",
    );
  });

  test("bodies and refusals name their field", async () => {
    const cases: [string, string, unknown, number, string | null, RegExp][] = [
      ["", "POST", { name: "Support", model: "base-a" }, 400, "name", /lowercase/],
      ["", "POST", { name: "asst_x", model: "base-a" }, 400, "name", /assistant id/],
      ["", "POST", { name: "base-a", model: "base-b" }, 409, "name", /already a model's id/],
      ["", "POST", { name: "support", model: "base-a" }, 409, "name", /taken/],
      ["", "POST", { name: "other", model: "nope" }, 404, "model", /'nope' does not exist/],
      [
        "",
        "POST",
        { name: "other", model: ADMINS },
        404,
        "model",
        /does not exist or you do not have access/,
      ],
      ["", "POST", { name: "other", model: "support" }, 400, "model", /a model name, not a model/],
      [
        "",
        "POST",
        { name: "other", model: "base-a", retention_days: 0 },
        400,
        "retention_days",
        /1|small/,
      ],
      ["/support/promote", "POST", { version: 2 }, 400, "why", /./],
      [
        "/support/promote",
        "POST",
        { version: 1, why: "again" },
        409,
        "version",
        /already the version answering/,
      ],
      [
        "/support/promote",
        "POST",
        { version: 9, why: "x" },
        404,
        "version",
        /no v9; it has v1, v2/,
      ],
      ["/support/rollback", "POST", {}, 400, "why", /./],
      [
        "/support/versions",
        "POST",
        { model: "base-b", why: "x", extra: 1 },
        400,
        "",
        /extra|unrecognized/i,
      ],
    ];
    for (const [path, method, body, status, field, text] of cases) {
      const r = await call(method, path, keys.alice, body);
      const what = `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(r.json)}`;
      assert.equal(r.status, status, what);
      if (field) assert.equal(r.json.error?.param, field, what);
      assert.match(r.json.error?.message ?? "", text, what);
    }
  });

  test("delete takes the name and its history, not the models", async () => {
    const r = await call("DELETE", "/support", keys.alice);
    assert.deepEqual(r.json, { name: "support", object: "model_name.deleted", deleted: true });
    assert.equal((await call("GET", "/support", keys.alice)).status, 404);
    assert.deepEqual(services.modelNames.events("support"), []);
    assert.ok(services.models.get("base-b"), "the model stays");
  });

  test("documented in /openapi.json", async () => {
    const doc = (await (await app.request("/openapi.json")).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    for (const [path, methods] of Object.entries({
      "/v1/model_names": ["get", "post"],
      "/v1/model_names/{name}": ["delete", "get", "post"],
      "/v1/model_names/{name}/versions": ["post"],
      "/v1/model_names/{name}/promote": ["post"],
      "/v1/model_names/{name}/rollback": ["post"],
    }))
      assert.deepEqual(Object.keys(doc.paths[path] ?? {}).sort(), methods, path);
  });
});
