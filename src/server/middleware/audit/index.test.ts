import assert from "node:assert/strict";
import { test } from "node:test";
import { Hono } from "hono";
import type { AuditInput } from "../../../auth/index.ts";
import { TailorError } from "../../../errors/index.ts";
import type { AppEnv } from "../../context.ts";
import { errorResponse } from "../../errors.ts";
import { audit } from "./index.ts";

function setup() {
  const logged: AuditInput[] = [];
  const app = new Hono<AppEnv>();
  app.onError((e, c) => errorResponse(c, e));
  app.use(
    "/v1/*",
    audit({
      log: { append: (e) => logged.push(e) },
      isPublic: (path) => path === "/v1/public",
      isReadOnlyPost: (path) => path === "/v1/search",
    }),
  );
  // a stand-in for authentication: a key header makes the principal, none is refused
  app.use("/v1/*", async (c, next) => {
    const key = c.req.header("x-key");
    if (!key) throw new TailorError({ code: "unauthorized", message: "no key" });
    c.set("principal", { keyId: key, owner: "alice", role: "member" });
    await next();
  });
  app.get("/v1/things", (c) => c.json({ data: [] }));
  app.post("/v1/things", (c) => c.json({ id: "thing-1" }));
  app.post("/v1/things/:thing_id/cancel", (c) => c.json({ ok: true }));
  app.delete("/v1/things/:thing_id", () => {
    throw new TailorError({ code: "not_found", message: "no thing" });
  });
  app.post("/v1/search", (c) => c.json({ id: "not-logged" }));
  app.post("/v1/public", (c) => c.json({ id: "not-logged" }));
  return { app, logged };
}

const as = (key: string, method = "GET") => ({ method, headers: { "x-key": key } });

test("reads are not logged; changes are, with the route, target, result and status", async () => {
  const { app, logged } = setup();
  assert.equal((await app.request("/v1/things", as("k1"))).status, 200);
  assert.deepEqual(logged, []);

  await app.request("/v1/things", as("k1", "POST"));
  await app.request("/v1/things/thing-9/cancel", as("k1", "POST"));
  await app.request("/v1/things/thing-7", as("k1", "DELETE"));
  assert.deepEqual(logged, [
    {
      keyId: "k1",
      owner: "alice",
      role: "member",
      action: "POST /v1/things",
      target: "thing-1", // from the answer's id
      result: "ok",
      status: 200,
      client: null,
    },
    {
      keyId: "k1",
      owner: "alice",
      role: "member",
      action: "POST /v1/things/:thing_id/cancel",
      target: "thing-9", // from the path
      result: "ok",
      status: 200,
      client: null,
    },
    {
      keyId: "k1",
      owner: "alice",
      role: "member",
      action: "DELETE /v1/things/:thing_id",
      target: "thing-7",
      result: "error",
      status: 404,
      client: null,
    },
  ]);
});

test("a refused request is logged even when it is a read, with its path", async () => {
  const { app, logged } = setup();
  assert.equal((await app.request("/v1/things")).status, 401);
  assert.deepEqual(logged, [
    {
      keyId: null,
      owner: null,
      role: null,
      action: "GET /v1/things", // not the middleware's "/v1/*"
      target: null,
      result: "denied",
      status: 401,
      client: null,
    },
  ]);
});

test("read-only POSTs and public paths are not logged", async () => {
  const { app, logged } = setup();
  assert.equal((await app.request("/v1/search", as("k1", "POST"))).status, 200);
  assert.equal((await app.request("/v1/public", as("k1", "POST"))).status, 200);
  assert.deepEqual(logged, []);
});
