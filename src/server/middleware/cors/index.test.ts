import assert from "node:assert/strict";
import { test } from "node:test";
import { Hono } from "hono";
import { errorResponse } from "../../errors.ts";
import { corsOriginsFromEnv, corsPolicy, parseCorsOrigins } from "./index.ts";

test("origins are parsed, normalised and deduplicated; anything else is refused by name", () => {
  assert.deepEqual(
    parseCorsOrigins([
      "https://App.Example.com/",
      "http://localhost:5173,https://app.example.com:443",
    ]),
    ["https://app.example.com", "http://localhost:5173"],
  );
  assert.deepEqual(corsOriginsFromEnv({}), []);
  assert.deepEqual(corsOriginsFromEnv({ TAILOR_CORS_ORIGINS: " https://a.example , " }), [
    "https://a.example",
  ]);
  for (const bad of [
    "*",
    "app.example.com",
    "https://a.example/path",
    "ftp://a.example",
    "https://u:p@a.example",
  ])
    assert.throws(() => parseCorsOrigins([bad]), /is not an origin/, bad);
  assert.throws(
    () => corsOriginsFromEnv({ TAILOR_CORS_ORIGINS: "*" }),
    /^TailorError: TAILOR_CORS_ORIGINS: '\*'/,
  );
});

test("a preflight without an Origin header is refused too; a plain OPTIONS passes through", async () => {
  const app = new Hono();
  app.onError((e, c) => errorResponse(c, e));
  app.use("*", corsPolicy([]));
  app.all("/x", (c) => c.text("here"));
  const pre = await app.request("/x", {
    method: "OPTIONS",
    headers: { "access-control-request-method": "GET" },
  });
  assert.equal(pre.status, 403);
  const plain = await app.request("/x", { method: "OPTIONS" });
  assert.equal(plain.status, 200);
  assert.equal(plain.headers.get("access-control-allow-origin"), null);
});
