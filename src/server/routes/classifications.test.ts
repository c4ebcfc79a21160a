/**
 * `/v1/classifications` in process (hono's app.request): what is refused before the engine is asked
 * (unknown or someone else's model, a generative model, empty or too many texts), and chat refusing
 * a classifier. The classifier here is a registered folder the engine is never asked to load; the
 * real engine answers in classifications.e2e.test.ts.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { MAX_CLASSIFICATION_INPUTS } from "../../../protocol/api/index.ts";
import { ensureAdminKey, KeyStore, RateLimiter, readLocalAdminKey } from "../../auth/index.ts";
import { cliSandbox } from "../../cli/__fixtures__/cli.ts";
import { PlanCache } from "../../jobs/index.ts";
import { KnowledgeBase } from "../../knowledge/index.ts";
import { CLASSIFIER_FILE, MANIFEST_FILE, type ModelManifest } from "../../models/index.ts";
import { EngineModerator, EngineNameFinder } from "../../safety/index.ts";
import { openServices, type Services } from "../../services/index.ts";
import { InferenceEngine, pytorchChat } from "../../serving/index.ts";
import { buildApp } from "../app.ts";
import { DEFAULT_LIMITS } from "../context.ts";

const { home } = cliSandbox("tailor-classify-api-");
const CLASSIFIER = "mail-router";

/** A classifier as training leaves it, as far as the API looks before the engine loads it. */
function registerClassifier(name: string): void {
  const dir = join(home, "models", name);
  mkdirSync(dir, { recursive: true });
  const manifest: ModelManifest = {
    kind: "fine_tuned",
    name,
    created_at: 1,
    base: { name: "all-MiniLM-L6-v2", source: { kind: "hub", repo_id: "sentence-transformers/x" } },
    method: "classify",
    labels: ["billing", "spam", "support"],
    multi_label: false,
    training: {
      train_file: "emails.csv",
      train_examples: 30,
      epochs: 3,
      learning_rate: 5e-5,
      batch_size: 16,
      lora_rank: 0,
      lora_alpha: 0,
      seed: 0,
      steps: 6,
      first_train_loss: 1.1,
      final_train_loss: 0.2,
      train_seconds: 4,
    },
  };
  writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(manifest));
  writeFileSync(
    join(dir, CLASSIFIER_FILE),
    JSON.stringify({ labels: manifest.labels, multi_label: false, threshold: 0.5 }),
  );
}

describe("POST /v1/classifications, refused before the engine", () => {
  let services: Services;
  let app: ReturnType<typeof buildApp>;
  const inference = new InferenceEngine();
  const keys = { admin: "", alice: "" };

  before(() => {
    registerClassifier(CLASSIFIER);
    services = openServices(home);
    ensureAdminKey(home, services.keys);
    keys.admin = readLocalAdminKey(home) ?? "";
    keys.alice = new KeyStore(services.db).create({ name: "alice", role: "member" }).key;
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

  async function post(path: string, body: unknown, key = keys.admin) {
    const res = await app.request(path, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as { error?: { message: string; param: string | null } };
    return { status: res.status, error: json.error };
  }

  const classify = (body: unknown, key?: string) => post("/v1/classifications", body, key);

  test("an unknown model is 404; another member's unshared classifier looks the same", async () => {
    const unknown = await classify({ model: "nope", input: "hello" });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.error?.param, "model");
    assert.match(unknown.error?.message ?? "", /'nope' does not exist/);
    const hidden = await classify({ model: CLASSIFIER, input: "hello" }, keys.alice);
    assert.equal(hidden.status, 404, "made from the CLI and not shared: not alice's");
  });

  test("a model that writes answers is 400, saying it is not a classifier", async () => {
    const r = await classify({ model: "smollm2-135m-instruct", input: "hello" });
    assert.equal(r.status, 400);
    assert.equal(r.error?.param, "model");
    assert.match(r.error?.message ?? "", /base model that writes answers, not a classifier/);
    assert.match(r.error?.message ?? "", /--task classify/);
  });

  test("no texts, an empty text, or too many texts is 400 naming the input", async () => {
    const none = await classify({ model: CLASSIFIER, input: [] });
    assert.equal(none.status, 400);
    assert.match(none.error?.message ?? "", /input is empty/);
    const blank = await classify({ model: CLASSIFIER, input: ["fine", "  "] });
    assert.equal(blank.status, 400);
    assert.equal(blank.error?.param, "input[1]");
    const many = Array.from({ length: MAX_CLASSIFICATION_INPUTS + 1 }, (_, i) => `text ${i}`);
    const tooMany = await classify({ model: CLASSIFIER, input: many });
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.error?.message ?? "", /2049 texts; at most 2048 per request/);
    const wrongType = await classify({ model: CLASSIFIER, input: 3 });
    assert.equal(wrongType.status, 400);
    assert.equal(wrongType.error?.param, "input");
  });

  test("chat completions refuse a classifier, naming the classification route", async () => {
    const r = await post("/v1/chat/completions", {
      model: CLASSIFIER,
      messages: [{ role: "user", content: "hello" }],
    });
    assert.equal(r.status, 400);
    assert.equal(r.error?.param, "model");
    assert.match(
      r.error?.message ?? "",
      /'mail-router' is a classifier \(labels: billing, spam, support\).*POST \/v1\/classifications/,
    );
  });

  test("the model list says which models are classifiers, with their labels", async () => {
    const res = await app.request("/v1/models", {
      headers: { authorization: `Bearer ${keys.admin}` },
    });
    const models = (await res.json()) as {
      data: { id: string; tailor: { classifier?: { labels: string[] } | null } }[];
    };
    const byId = new Map(models.data.map((m) => [m.id, m.tailor.classifier]));
    assert.deepEqual(byId.get(CLASSIFIER), {
      labels: ["billing", "spam", "support"],
      multi_label: false,
    });
    assert.equal(byId.get("smollm2-135m-instruct"), null);
  });

  test("the route is in the OpenAPI document", async () => {
    const doc = (await (await app.request("/openapi.json")).json()) as {
      paths: Record<string, { post?: { responses: Record<string, unknown> } }>;
    };
    const route = doc.paths["/v1/classifications"]?.post;
    assert.ok(route, "documented");
    // its own (200, 400, 404) and the middleware's (401, 403, 413, 429: src/server/openapi-common.ts)
    assert.deepEqual(Object.keys(route.responses).sort(), [
      "200",
      "400",
      "401",
      "403",
      "404",
      "413",
      "429",
    ]);
  });
});
