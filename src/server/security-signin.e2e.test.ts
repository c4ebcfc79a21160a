/**
 * Sign-ins, CORS and the admin key file through real listening servers (real SQLite, no engine):
 * requests come from distinct loopback addresses (127.0.0.x, bound with `localAddress`) so that
 * one address's lock is seen not to touch another's.
 */
import assert from "node:assert/strict";
import { chmodSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { readLocalAdminKey } from "../auth/index.ts";
import { cliSandbox } from "../cli/__fixtures__/cli.ts";
import { isTailorError } from "../errors/index.ts";
import { type RunningServer, startServer } from "./index.ts";

const { home } = cliSandbox("tailor-sec-signin-");
const WRONG = `tailor-sk-${"0".repeat(48)}`;
let server: RunningServer;
let admin = "";

before(async () => {
  server = await startServer({ home, port: 0, worker: false, studioDir: null });
  admin = readLocalAdminKey(home) ?? "";
});
after(async () => {
  await server?.close();
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request from the loopback address `from` (127.0.0.x). */
function call(
  base: string,
  from: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        localAddress: from,
        agent: false,
        headers: { ...(data ? { "content-type": "application/json" } : {}), ...headers },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          text += c;
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
        );
      },
    );
    req.on("error", reject);
    req.end(data);
  });
}
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

test("10 wrong keys lock an address: 429 with Retry-After even for the right key, other addresses unaffected, audited", async () => {
  for (let i = 1; i <= 10; i++) {
    const r = await call(server.url, "127.0.0.1", "GET", "/v1/models", bearer(WRONG));
    assert.equal(r.status, 401, `wrong key ${i}`);
  }
  const locked = await call(server.url, "127.0.0.1", "GET", "/v1/models", bearer(WRONG));
  assert.equal(locked.status, 429);
  const wait = Number(locked.headers["retry-after"]);
  assert.ok(wait > 240 && wait <= 300, `Retry-After ${wait}: the rest of the 5-minute window`);
  assert.match(locked.body, /too many failed sign-ins from 127\.0\.0\.1/);
  const right = await call(server.url, "127.0.0.1", "GET", "/v1/models", bearer(admin));
  assert.equal(right.status, 429, "the right key is refused too: a guess cannot tell");
  assert.ok(Number(right.headers["retry-after"]) > 0);

  const elsewhere = await call(server.url, "127.0.0.2", "GET", "/v1/models", bearer(admin));
  assert.equal(elsewhere.status, 200, "another address signs in");

  const audit = await call(server.url, "127.0.0.2", "GET", "/v1/audit?limit=100", bearer(admin));
  const entries = (
    JSON.parse(audit.body) as {
      data: {
        action: string;
        result: string;
        status: number | null;
        client: string | null;
        target: string | null;
      }[];
    }
  ).data;
  const lock = entries.filter((e) => e.action === "auth.locked");
  assert.equal(lock.length, 1);
  assert.equal(lock[0]?.target, "127.0.0.1");
  const refused = entries.filter((e) => e.action === "GET /v1/models" && e.client === "127.0.0.1");
  assert.deepEqual(refused.map((e) => `${e.status} ${e.result}`).sort(), [
    ...Array(10).fill("401 denied"),
    "429 denied",
    "429 denied",
  ]);
});

test("wrong share-page passcodes and wrong API keys count together per address", async () => {
  const made = await call(server.url, "127.0.0.3", "POST", "/v1/assistants", bearer(admin), {
    name: "Front desk",
    model: "smollm2-135m-instruct",
    instructions: "You answer questions about the shop.",
  });
  assert.equal(made.status, 200, made.body);
  const id = (JSON.parse(made.body) as { id: string }).id;
  const pub = await call(
    server.url,
    "127.0.0.3",
    "POST",
    `/v1/assistants/${id}/publish`,
    bearer(admin),
    {
      access: "passcode",
      passcode: "open sesame",
      slug: "front-desk",
    },
  );
  assert.equal(pub.status, 200, pub.body);
  const unlock = (from: string, passcode: string) =>
    call(server.url, from, "POST", "/a/front-desk/api/unlock", {}, { passcode });

  for (let i = 0; i < 4; i++) assert.equal((await unlock("127.0.0.3", "wrong")).status, 401);
  for (let i = 0; i < 6; i++)
    assert.equal(
      (await call(server.url, "127.0.0.3", "GET", "/v1/models", bearer(WRONG))).status,
      401,
    );
  const right = await unlock("127.0.0.3", "open sesame");
  assert.equal(right.status, 429, right.body);
  assert.match(right.body, /Too many wrong attempts from your network/);
  assert.ok(Number(right.headers["retry-after"]) > 0);
  const key = await call(server.url, "127.0.0.3", "GET", "/v1/models", bearer(admin));
  assert.equal(key.status, 429);
  const other = await unlock("127.0.0.4", "open sesame");
  assert.equal(other.status, 200, "the right passcode from another address opens the page");
  assert.match(String(other.headers["set-cookie"]), /HttpOnly/i);
});

test("CORS is closed by default: preflights 403 without Access-Control-Allow-Origin; no header on answers", async () => {
  const pre = await call(server.url, "127.0.0.5", "OPTIONS", "/v1/models", {
    origin: "https://evil.example",
    "access-control-request-method": "GET",
    "access-control-request-headers": "authorization",
  });
  assert.equal(pre.status, 403);
  assert.equal(pre.headers["access-control-allow-origin"], undefined);
  assert.match(pre.body, /--cors-origin https:\/\/evil\.example/);
  const get = await call(server.url, "127.0.0.5", "GET", "/v1/models", {
    ...bearer(admin),
    origin: "https://evil.example",
  });
  assert.equal(get.status, 200);
  assert.equal(get.headers["access-control-allow-origin"], undefined);
});

test("--cors-origin's origins (and only those) get CORS answers", async () => {
  const other = cliSandbox("tailor-sec-cors-");
  const open = await startServer({
    home: other.home,
    port: 0,
    worker: false,
    studioDir: null,
    corsOrigins: ["https://app.example.com/, http://localhost:5173"],
  });
  try {
    const key = readLocalAdminKey(other.home) ?? "";
    const pre = await call(open.url, "127.0.0.6", "OPTIONS", "/v1/chat/completions", {
      origin: "https://app.example.com",
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, content-type",
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers["access-control-allow-origin"], "https://app.example.com");
    assert.match(String(pre.headers["access-control-allow-headers"]), /authorization/);
    assert.equal(pre.headers["access-control-allow-credentials"], undefined, "keys, not cookies");
    const get = await call(open.url, "127.0.0.6", "GET", "/v1/models", {
      ...bearer(key),
      origin: "http://localhost:5173",
    });
    assert.equal(get.status, 200);
    assert.equal(get.headers["access-control-allow-origin"], "http://localhost:5173");
    assert.match(String(get.headers["access-control-expose-headers"]), /retry-after/);
    const evil = await call(open.url, "127.0.0.6", "OPTIONS", "/v1/models", {
      origin: "https://evil.example",
      "access-control-request-method": "GET",
    });
    assert.equal(evil.status, 403);
    assert.equal(evil.headers["access-control-allow-origin"], undefined);
  } finally {
    await open.close();
  }
  await assert.rejects(
    startServer({ home: other.home, port: 0, worker: false, corsOrigins: ["*"] }),
    /'\*' is not an origin/,
  );
});

test("a server does not start while admin.key may be read by others, and says to chmod 600", async () => {
  const other = cliSandbox("tailor-sec-mode-");
  const first = await startServer({ home: other.home, port: 0, worker: false, studioDir: null });
  await first.close();
  const file = join(other.home, "admin.key");
  chmodSync(file, 0o644);
  await assert.rejects(
    startServer({ home: other.home, port: 0, worker: false, studioDir: null }),
    (e: unknown) =>
      isTailorError(e) &&
      e.code === "forbidden" &&
      e.message.includes(
        `${file} holds this machine's admin API key and may be read by other users (mode 644); run \`chmod 600 ${file}\``,
      ),
  );
  chmodSync(file, 0o600);
  const again = await startServer({ home: other.home, port: 0, worker: false, studioDir: null });
  await again.close();
});
