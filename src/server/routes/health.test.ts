/**
 * GET /v1/models/{model}/health in process (hono's app.request) on a real database with a scripted
 * engine: answers through /v1/chat/completions (plain, kept, streamed) and /v1/responses are counted
 * for the model name and for the model, with the question kept only for kept answers; feedback on a
 * kept completion counts as a thumbs down and a wrong answer; another owner's name is a 404; bad
 * days are refused naming the field. Drift on real embeddings is in src/health/drift.e2e.test.ts.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { HealthReport } from "../../../protocol/health.ts";
import { ensureAdminKey, RateLimiter } from "../../auth/index.ts";
import { cliSandbox } from "../../cli/__fixtures__/cli.ts";
import { PlanCache } from "../../jobs/index.ts";
import { KnowledgeBase } from "../../knowledge/index.ts";
import { EngineModerator, EngineNameFinder } from "../../safety/index.ts";
import { openServices, type Services } from "../../services/index.ts";
import type { GenerateEvent, InferenceEngine } from "../../serving/index.ts";
import { pytorchChat } from "../../serving/index.ts";
import { buildApp } from "../app.ts";
import { DEFAULT_LIMITS } from "../context.ts";

const { home, tiny } = cliSandbox("tailor-health-route-");
const ANSWER = "We open at nine.";

/** An engine that answers every generation with the same words, in pieces. */
class ScriptedEngine {
  async *generate(): AsyncGenerator<GenerateEvent> {
    for (const t of ANSWER.match(/.{1,5}/g) ?? []) yield { type: "delta", index: 0, text: t };
    yield {
      type: "result",
      choices: [{ index: 0, text: ANSWER, finish_reason: "stop" }],
      prompt_tokens: 10,
      completion_tokens: 5,
    };
  }
  async countTokens(): Promise<number> {
    return 10;
  }
  async close(): Promise<void> {}
}

let services: Services;
let app: ReturnType<typeof buildApp>;
const keys = { admin: "", alice: "", bob: "" };

before(() => {
  tiny();
  services = openServices(home);
  keys.admin = ensureAdminKey(home, services.keys).key;
  keys.alice = services.keys.create({ name: "alice", role: "member" }).key;
  keys.bob = services.keys.create({ name: "bob", role: "member" }).key;
  services.modelNames.create("support", "alice", "tiny", "alice", "the first version");
  const inference = new ScriptedEngine() as unknown as InferenceEngine;
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
after(() => {
  services.close();
  rmSync(home, { recursive: true, force: true });
});

async function call(who: keyof typeof keys, path: string, body?: unknown) {
  const res = await app.request(path, {
    method: body === undefined ? "GET" : "POST",
    headers: {
      authorization: `Bearer ${keys[who]}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {}
  // biome-ignore lint/suspicious/noExplicitAny: test reads of JSON bodies
  return { status: res.status, json: json as any, text };
}

const ask = (question: string, extra: Record<string, unknown> = {}) =>
  call("alice", "/v1/chat/completions", {
    model: "support",
    messages: [
      { role: "system", content: "Be brief." },
      { role: "user", content: question },
    ],
    max_tokens: 8,
    ...extra,
  });

const usageRows = () =>
  services.db
    .prepare(
      "SELECT model, resolved_model, channel, answer_chars, question FROM model_usage ORDER BY seq",
    )
    .all();

describe("GET /v1/models/{model}/health", () => {
  test("answers are counted per day for the name and its model; kept questions only; feedback counted", async () => {
    assert.equal((await ask("When do you open?")).status, 200);
    const kept = await ask("Do you repair brakes?", { store: true });
    assert.equal(kept.status, 200);
    const streamed = await ask("Where is my order?", { stream: true });
    assert.match(streamed.text, /\[DONE\]/);
    const resp = await call("alice", "/v1/responses", {
      model: "support",
      input: "Can I return a helmet?",
      max_output_tokens: 8,
    });
    assert.equal(resp.status, 200, resp.text);
    const fb = await call("alice", `/v1/chat/completions/${kept.json.id}/feedback`, {
      rating: "down",
      correction: "Yes, brake repairs take a day.",
    });
    assert.equal(fb.status, 200, fb.text);

    const row = (channel: string, question: string | null) => ({
      model: "support",
      resolved_model: "tiny",
      channel,
      answer_chars: ANSWER.length,
      question,
    });
    assert.deepEqual(usageRows(), [
      row("chat", null),
      row("chat", "Do you repair brakes?"),
      row("chat", null),
      row("responses", "Can I return a helmet?"),
    ]);

    const r = await call("alice", "/v1/models/support/health?days=7");
    assert.equal(r.status, 200, r.text);
    const report = HealthReport.parse(r.json);
    assert.equal(report.model, "support");
    assert.deepEqual(report.models, ["tiny"]);
    assert.equal(report.days.length, 7);
    const today = report.days.at(-1);
    assert.equal(today?.day, new Date().toISOString().slice(0, 10));
    assert.equal(today?.requests, 4);
    assert.equal(today?.mean_answer_chars, ANSWER.length);
    assert.equal(today?.thumbs_down, 1);
    assert.equal(today?.wrong, 1);
    assert.equal(today?.drift_checked, 0); // a base model has no training data to compare with
    assert.equal(report.drift_threshold, null);
    assert.equal(report.summary[0], "4 requests in the last 7 days (none the week before).");
    assert.match(
      report.summary.join(" "),
      /100% of the rated answers got a thumbs down \(1 of 1\)/,
    );
    assert.match(report.summary.join(" "), /Unfamiliar questions are not measured/);
    // the kept questions were forgotten: nothing to measure them against
    assert.equal(usageRows().filter((u) => (u as { question: unknown }).question).length, 0);

    // the model's own report counts what it answered, asked through the name too
    const byId = await call("bob", "/v1/models/tiny/health?days=1");
    assert.equal(byId.status, 200, byId.text);
    assert.equal(byId.json.days[0].requests, 4);
    assert.equal(byId.json.days.length, 1);
  });

  test("another owner's name is a 404; an admin sees it; bad days name the field", async () => {
    const bob = await call("bob", "/v1/models/support/health");
    assert.equal(bob.status, 404);
    assert.doesNotMatch(bob.text, /tiny/);
    const admin = await call("admin", "/v1/models/support/health");
    assert.equal(admin.status, 200);
    assert.equal(admin.json.days.length, 28);
    assert.equal((await call("alice", "/v1/models/no-such-model/health")).status, 404);
    for (const days of ["0", "366", "two"]) {
      const bad = await call("alice", `/v1/models/support/health?days=${days}`);
      assert.equal(bad.status, 400, days);
      assert.equal(bad.json.error.param, "days");
    }
  });
});
