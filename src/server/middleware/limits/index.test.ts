import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../../context.ts";
import { errorResponse } from "../../errors.ts";
import { limits } from "./index.ts";

function setup() {
  const app = new Hono<AppEnv>();
  app.onError((e, c) =>
    e instanceof HTTPException ? c.json({ status: e.status }, e.status) : errorResponse(c, e),
  );
  app.use(
    "*",
    limits({
      maxBodyBytes: 10,
      requestTimeoutMs: 50,
      isUnlimited: (req) => req.path === "/upload",
      isUntimed: (req) => req.path === "/slow-ok",
    }),
  );
  const echo = async (c: { req: { text: () => Promise<string> }; text: (s: string) => Response }) =>
    c.text(await c.req.text());
  const slow = async (c: { text: (s: string) => Response }) => {
    await sleep(150);
    return c.text("late");
  };
  app.post("/echo", echo);
  app.post("/upload", echo);
  app.post("/slow-ok", echo);
  app.get("/slow", slow);
  app.get("/slow-ok", slow);
  return app;
}

const post = (body: string) => ({ method: "POST", body });

test("a body over the limit is refused with too_large (413)", async () => {
  const app = setup();
  assert.equal(await (await app.request("/echo", post("small"))).text(), "small");
  const res = await app.request("/echo", post("x".repeat(11)));
  assert.equal(res.status, 413);
  const body = (await res.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, "too_large");
  assert.match(body.error.message, /larger than 10 bytes/);
});

test("a request that takes too long is cut off", async () => {
  const res = await setup().request("/slow");
  assert.equal(res.status, 504);
});

test("an untimed request keeps the body limit; an unlimited one has neither", async () => {
  const app = setup();
  assert.equal(await (await app.request("/slow-ok")).text(), "late");
  assert.equal((await app.request("/slow-ok", post("x".repeat(11)))).status, 413);
  const big = "x".repeat(100);
  assert.equal(await (await app.request("/upload", post(big))).text(), big);
});
