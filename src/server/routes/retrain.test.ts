/**
 * `POST /v1/model_names/{name}/retrain` in process (hono's app.request) on real SQLite with the tiny
 * model and a fine-tuned `support` model made without training: the plan of a dry run, the job of a
 * real one, who may, and bodies refused by field. The loop with real training is loop.e2e.test.ts.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { RetrainResponse } from "../../../protocol/api/retrain.ts";
import { KeyStore, RateLimiter } from "../../auth/index.ts";
import { PlanCache } from "../../jobs/index.ts";
import { KnowledgeBase } from "../../knowledge/index.ts";
import { retrainHome, supportLines } from "../../retrain/__fixtures__/retrain.ts";
import { EngineModerator, EngineNameFinder } from "../../safety/index.ts";
import { InferenceEngine, pytorchChat } from "../../serving/index.ts";
import { buildApp } from "../app.ts";
import { DEFAULT_LIMITS } from "../context.ts";

describe("POST /v1/model_names/{name}/retrain", () => {
  let h: ReturnType<typeof retrainHome>;
  let app: ReturnType<typeof buildApp>;
  const inference = new InferenceEngine();
  const keys = { alice: "", bob: "", viewer: "" };
  let model = "";

  before(async () => {
    h = retrainHome("tailor-retrain-api-");
    const store = new KeyStore(h.svc.db);
    keys.alice = store.create({ name: "alice", role: "member" }).key;
    keys.bob = store.create({ name: "bob", role: "member" }).key;
    keys.viewer = store.create({ name: "vera", role: "viewer" }).key;
    ({ model } = await h.tuned("support-model", supportLines(30), supportLines(4, "Val")));
    h.svc.modelNames.create("support", "alice", model, "alice", "first version");
    h.accepted("support", model, 6);
    app = buildApp({
      ...h.svc,
      plans: new PlanCache(h.svc),
      inference,
      ...pytorchChat(inference),
      safety: inference,
      moderator: new EngineModerator(inference),
      names: new EngineNameFinder(inference),
      knowledge: new KnowledgeBase(h.svc.db, { embedder: inference, files: h.svc.files }),
      limiter: new RateLimiter({ requestsPerMinute: 1000 }),
      limits: DEFAULT_LIMITS,
      functionPrivateHosts: [],
      studioDir: null,
    });
  });
  after(async () => {
    await inference.close();
    h.close();
  });

  const post = (key: string, name: string, body?: unknown) =>
    app.request(`/v1/model_names/${name}/retrain`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const error = async (res: Response) =>
    ((await res.json()) as { error: { message: string; param: string | null; code: string } })
      .error;

  test("a dry run answers the plan in words and stores nothing", async () => {
    const res = await post(keys.alice, "support", { dry_run: true, sample: 10 });
    assert.equal(res.status, 200);
    const plan = RetrainResponse.parse(await res.json());
    assert.equal(plan.dry_run, true);
    assert.deepEqual(plan.current, { version: 1, model });
    assert.equal(plan.accepted.train.length, 4);
    assert.equal(plan.accepted.held_out.length, 2);
    assert.equal(plan.original_sample, 10);
    assert.equal(plan.job_id, null);
    assert.equal(plan.dataset_id, null);
    assert.equal(plan.notes[0], "4 accepted corrections to train on, 2 held out for the gate");
    assert.equal(h.svc.review.unused([model]).length, 6, "nothing marked used");
  });

  test("another member's name is 404, a viewer may not, bad bodies are named by field", async () => {
    assert.equal((await post(keys.bob, "support", { dry_run: true })).status, 404);
    assert.equal((await post(keys.alice, "nobody", { dry_run: true })).status, 404);
    const viewer = await post(keys.viewer, "support", { dry_run: true });
    assert.equal(viewer.status, 403);
    const share = await post(keys.alice, "support", { held_out_share: 2 });
    assert.equal(share.status, 400);
    assert.equal((await error(share)).param, "held_out_share");
    const epochs = await post(keys.alice, "support", { hyperparameters: { n_epochs: 0 } });
    assert.equal(epochs.status, 400);
    assert.equal((await error(epochs)).param, "hyperparameters.n_epochs");
    assert.equal(h.svc.review.unused([model]).length, 6, "nothing marked used");
  });

  test("a retrain makes the datasets and the job; then there is nothing left to retrain on", async () => {
    const res = await post(keys.alice, "support", { hyperparameters: { n_epochs: 5 } });
    assert.equal(res.status, 200, await res.clone().text());
    const plan = RetrainResponse.parse(await res.json());
    assert.equal(plan.dry_run, false);
    assert.match(plan.dataset_id ?? "", /^ds-/);
    assert.match(plan.held_out_dataset_id ?? "", /^ds-/);
    assert.ok(plan.job_id);
    const job = await app.request(`/v1/fine_tuning/jobs/${plan.job_id}`, {
      headers: { authorization: `Bearer ${keys.alice}` },
    });
    assert.equal(job.status, 200, "alice's job");
    const view = (await job.json()) as { model: string; hyperparameters: { n_epochs: number } };
    assert.equal(view.model, model, "continues from the current model");
    assert.equal(view.hyperparameters.n_epochs, 5);
    const stored = h.svc.jobs.get(plan.job_id);
    assert.equal(stored.spec.retrain?.requested_by, "alice");
    assert.equal(stored.spec.retrain?.held_out_dataset, plan.held_out_dataset_id);
    const again = await post(keys.alice, "support");
    assert.equal(again.status, 409);
    assert.equal(
      (await error(again)).message,
      "no accepted reviews since the last retrain of support: review some first: tailor review list",
    );
  });
});
