import assert from "node:assert/strict";
import { test } from "node:test";
import { Hono } from "hono";
import type { ApiKey, RateLimitResult } from "../../../auth/index.ts";
import type { AppEnv } from "../../context.ts";
import { errorResponse } from "../../errors.ts";
import { authenticate } from "./index.ts";

const ALICE: ApiKey = {
  id: "key-alice",
  name: "alice",
  owner: "alice",
  role: "member",
  prefix: "tailor-sk-al",
  created_at: 0,
  last_used_at: null,
  revoked_at: null,
};

function setup(rate: RateLimitResult = { ok: true, limit: 10, remaining: 9 }) {
  const taken: string[] = [];
  const app = new Hono<AppEnv>();
  app.onError((e, c) => errorResponse(c, e));
  app.use(
    "*",
    authenticate({
      keys: { verify: (token) => (token === "good" ? ALICE : null) },
      limiter: {
        take: (key) => {
          taken.push(key);
          return rate;
        },
      },
      isPublic: (path) => path === "/open",
    }),
  );
  app.get("/open", (c) => c.text("open"));
  app.get("/me", (c) => c.json(c.get("principal")));
  return { app, taken };
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

test("a public path needs no key", async () => {
  const { app, taken } = setup();
  const res = await app.request("/open");
  assert.equal(res.status, 200);
  assert.deepEqual(taken, []);
});

test("no key, or a key that is not valid: 401 in OpenAI's shape", async () => {
  const { app } = setup();
  const none = await app.request("/me");
  assert.equal(none.status, 401);
  const body = (await none.json()) as { error: { code: string; message: string; type: string } };
  assert.equal(body.error.code, "unauthorized");
  assert.equal(body.error.type, "authentication_error");
  assert.match(body.error.message, /Authorization: Bearer <key>/);

  const bad = await app.request("/me", bearer("nope"));
  assert.equal(bad.status, 401);
  assert.match(((await bad.json()) as { error: { message: string } }).error.message, /not valid/);
  const notBearer = await app.request("/me", { headers: { authorization: "Basic good" } });
  assert.equal(notBearer.status, 401);
});

test("a valid key becomes the principal, and takes from its own rate limit", async () => {
  const { app, taken } = setup();
  const res = await app.request("/me", bearer("good"));
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { keyId: "key-alice", owner: "alice", role: "member" });
  assert.deepEqual(taken, ["key-alice"]);
});

test("over the rate limit: 429 with retry-after", async () => {
  const { app } = setup({ ok: false, limit: 10, remaining: 0, retryAfterSeconds: 7 });
  const res = await app.request("/me", bearer("good"));
  assert.equal(res.status, 429);
  assert.equal(res.headers.get("retry-after"), "7");
  const body = (await res.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, "rate_limited");
  assert.match(body.error.message, /try again in 7 s/);
});
