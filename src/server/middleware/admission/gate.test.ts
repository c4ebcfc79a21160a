import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { isTailorError } from "../../../errors/index.ts";
import type { AppEnv } from "../../context.ts";
import { errorResponse } from "../../errors.ts";
import { AdmissionGate, admission } from "./index.ts";

describe("AdmissionGate", () => {
  test("each kind has its own limit under the total; a release frees a place once", () => {
    const gate = new AdmissionGate({ maxInFlight: 3, maxGenerations: 1, maxUploads: 1 });
    const g = gate.enter("generation");
    assert.ok(g.ok);
    const g2 = gate.enter("generation");
    assert.ok(!g2.ok);
    assert.match(g2.error.message, /1 generations are in flight.*--max-generations/);
    assert.ok(gate.enter("upload").ok);
    assert.ok(gate.enter("other").ok);
    const full = gate.enter("other");
    assert.ok(!full.ok && full.error.details.limit === "maxInFlight");
    g.release();
    g.release(); // twice: still one place
    assert.deepEqual(gate.counts(), { generation: 0, upload: 1, other: 1, total: 2 });
    assert.ok(gate.enter("generation").ok);
    assert.ok(!gate.enter("other").ok);
  });

  test("Retry-After follows how long the kind's requests took, 1 to 60 s", () => {
    let now = 0;
    const gate = new AdmissionGate({ maxGenerations: 1 }, () => now);
    for (let i = 0; i < 30; i++) {
      const g = gate.enter("generation");
      assert.ok(g.ok);
      now += 20_000; // 20 s a generation
      g.release();
    }
    gate.enter("generation");
    const refused = gate.enter("generation");
    assert.ok(!refused.ok && refused.retryAfterSeconds === 20);
    assert.equal(refused.error.code, "rate_limited");
    assert.equal(refused.error.details.retryAfterSeconds, 20);
  });

  test("limits must be whole numbers above 0", () => {
    assert.throws(
      () => new AdmissionGate({ maxUploads: 0 }),
      (e) => isTailorError(e),
    );
  });
});

describe("admission middleware (a fake route: a stream the test reads)", () => {
  const gate = new AdmissionGate({ maxInFlight: 1 });
  const app = new Hono<AppEnv>();
  app.onError((e, c) => errorResponse(c, e));
  app.use("*", admission({ gate, kindOf: (req) => (req.path === "/free" ? null : "other") }));
  app.get("/events", (c) =>
    streamSSE(c, async (s) => {
      for (let i = 0; i < 3; i++) await s.writeSSE({ data: String(i) });
    }),
  );
  app.get("/plain", (c) => c.json({ ok: true }));
  app.get("/free", (c) => c.json({ ok: true }));

  test("a stream holds its place until it is read to the end", async () => {
    const events = await app.request("/events");
    assert.equal(gate.counts().total, 1);
    const refused = await app.request("/plain");
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get("retry-after"), "1");
    assert.equal((await app.request("/free")).status, 200); // not counted
    assert.match(await events.text(), /data: 0[\s\S]*data: 2/);
    assert.equal(gate.counts().total, 0);
    assert.equal((await app.request("/plain")).status, 200);
    assert.equal(gate.counts().total, 0);
  });

  test("a stream its client cancels frees its place", async () => {
    const events = await app.request("/events");
    assert.equal(gate.counts().total, 1);
    await events.body?.cancel();
    assert.equal(gate.counts().total, 0);
  });
});
