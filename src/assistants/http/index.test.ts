import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { endpoint } from "../__fixtures__/endpoint.ts";
import type { NetworkPolicy, RuntimeHttpFunction } from "../types.ts";
import { callHttpFunction } from "./index.ts";

const SECRET = "sk-live-7c1f0e9a2b";

const api = endpoint((req, res, body) => {
  const url = new URL(req.url ?? "/", "http://x");
  const json = (status: number, value: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(value));
  };
  if (url.pathname.startsWith("/orders/"))
    return json(200, {
      order: decodeURIComponent(url.pathname.slice(8)),
      query: Object.fromEntries(url.searchParams),
    });
  if (url.pathname === "/echo-body") return json(201, { received: JSON.parse(body) });
  if (url.pathname === "/echo-key") return json(200, { key: req.headers["x-api-key"] });
  if (url.pathname === "/missing") return json(404, { error: "no such order" });
  if (url.pathname === "/hop") {
    const n = Number(url.searchParams.get("n") ?? "0");
    res.writeHead(n > 0 ? 307 : 303, { location: n > 0 ? `/hop?n=${n - 1}` : "/orders/final" });
    return res.end();
  }
  if (url.pathname === "/away") {
    res.writeHead(302, { location: url.searchParams.get("to") ?? "/" });
    return res.end();
  }
  if (url.pathname === "/slow") {
    setTimeout(() => json(200, { late: true }), 3000).unref();
    return;
  }
  if (url.pathname === "/endless") {
    res.writeHead(200, { "content-type": "text/plain" });
    const timer = setInterval(() => res.write("é".repeat(500)), 5);
    res.on("close", () => clearInterval(timer));
    return;
  }
  json(200, { ok: true });
});
const other = endpoint((_req, res) => res.end("other"));
let port = 0;
let otherPort = 0;
let base = "";
let network: NetworkPolicy;

function fn(over: Partial<RuntimeHttpFunction>): RuntimeHttpFunction {
  return {
    kind: "http",
    name: "lookup_order",
    description: "",
    parameters: { type: "object", properties: {} },
    url: `${base}/`,
    method: "GET",
    timeout_ms: 2000,
    max_response_bytes: 4096,
    headers: [],
    ...over,
  };
}

const call = (args: unknown) => ({ call_id: "call_1", arguments: JSON.stringify(args) });

before(async () => {
  port = await api.start();
  otherPort = await other.start();
  base = `http://127.0.0.1:${port}`;
  // The endpoints are on loopback: the admin lets these two ports through, as a test setup would.
  network = {
    allowedHosts: ["127.0.0.1"],
    privateHosts: [`127.0.0.1:${port}`, `127.0.0.1:${otherPort}`],
  };
});
after(async () => {
  await api.stop();
  await other.stop();
});

describe("callHttpFunction against a local endpoint", () => {
  it("sends the secret header to the endpoint, never to the model", async () => {
    const headers = [
      { name: "X-Api-Key", value: SECRET, secret: true },
      { name: "X-Tenant", value: "acme", secret: false },
    ];
    const record = await callHttpFunction(
      fn({ url: `${base}/echo-key`, headers }),
      call({}),
      network,
    );
    const seen = api.seen.at(-1);
    assert.equal(seen?.headers["x-api-key"], SECRET);
    assert.equal(seen?.headers["x-tenant"], "acme");
    assert.equal(seen?.headers["user-agent"], "Tailor-Assistant");
    assert.equal(seen?.headers.accept, "application/json, text/plain;q=0.9, */*;q=0.5");
    assert.equal(record.status, "ok");
    assert.equal(record.http_status, 200);
    assert.equal(record.kind, "http");
    assert.equal(record.call_id, "call_1");
    // The endpoint echoed the secret back: the model sees it redacted.
    assert.equal(record.output, '{"key":"[redacted]"}');
    assert.ok(Number.isInteger(record.duration_ms) && record.duration_ms >= 0);
  });

  it("fills path placeholders and sends the other arguments as the query of a GET", async () => {
    const parameters = {
      type: "object",
      properties: {
        order_id: { type: "string" },
        verbose: { type: "boolean" },
        fields: { type: "array" },
      },
      required: ["order_id"],
    };
    const f = fn({ url: `${base}/orders/{order_id}`, parameters });
    const record = await callHttpFunction(
      f,
      call({ order_id: "A 1001", verbose: true, fields: ["a"] }),
      network,
    );
    assert.equal(api.seen.at(-1)?.url, "/orders/A%201001?verbose=true&fields=%5B%22a%22%5D");
    assert.equal(record.status, "ok");
    assert.deepEqual(JSON.parse(record.output), {
      order: "A 1001",
      query: { verbose: "true", fields: '["a"]' },
    });
  });

  it("POSTs the arguments as a JSON body", async () => {
    const record = await callHttpFunction(
      fn({ url: `${base}/echo-body`, method: "POST" }),
      call({ qty: 2, item: "tea" }),
      network,
    );
    const seen = api.seen.at(-1);
    assert.equal(seen?.method, "POST");
    assert.equal(seen?.headers["content-type"], "application/json");
    assert.deepEqual(JSON.parse(seen?.body ?? ""), { qty: 2, item: "tea" });
    assert.equal(record.status, "ok");
    assert.equal(record.http_status, 201);
    assert.equal(record.output, '{"received":{"qty":2,"item":"tea"}}');
  });

  it("tells the model what is wrong with invalid arguments, without calling", async () => {
    const before = api.seen.length;
    const parameters = {
      type: "object",
      properties: { order_id: { type: "string" } },
      required: ["order_id"],
    };
    const f = fn({ url: `${base}/orders/{order_id}`, parameters });
    const wrongType = await callHttpFunction(f, call({ order_id: 12 }), network);
    assert.equal(wrongType.status, "invalid_arguments");
    assert.match(wrongType.output, /"order_id" must be string/);
    const notJson = await callHttpFunction(f, { call_id: "c", arguments: "{order_id:" }, network);
    assert.equal(notJson.status, "invalid_arguments");
    assert.match(notJson.output, /not valid JSON/);
    assert.equal(api.seen.length, before);
  });

  it("answers a non-2xx status as http_error with the body's start", async () => {
    const record = await callHttpFunction(fn({ url: `${base}/missing` }), call({}), network);
    assert.equal(record.status, "http_error");
    assert.equal(record.http_status, 404);
    assert.equal(
      record.output,
      'The function answered HTTP 404 Not Found: {"error":"no such order"}',
    );
  });

  it("cuts a response over the cap, reading no further than the cap", async () => {
    const started = Date.now();
    const record = await callHttpFunction(
      fn({ url: `${base}/endless`, max_response_bytes: 1000 }),
      call({}),
      network,
    );
    assert.equal(record.status, "too_large");
    assert.equal(record.http_status, 200);
    // 1000 bytes of two-byte characters: 500 of them, then the note.
    assert.equal(record.output, `${"é".repeat(500)}\n[cut at 1000 bytes]`);
    assert.ok(Date.now() - started < 1500, "the endless body was not read to its end");
  });

  it("times out a slow endpoint", async () => {
    const record = await callHttpFunction(
      fn({ url: `${base}/slow`, timeout_ms: 200 }),
      call({}),
      network,
    );
    assert.equal(record.status, "timeout");
    assert.equal(record.output, "The function did not answer within 200 ms.");
    assert.ok(record.duration_ms >= 190 && record.duration_ms < 1500, `${record.duration_ms} ms`);
  });

  it("stops when the caller aborts", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const record = await callHttpFunction(
      fn({ url: `${base}/slow` }),
      call({}),
      network,
      controller.signal,
    );
    assert.equal(record.status, "failed");
    assert.match(record.output, /cancelled/);
    assert.ok(record.duration_ms < 1500, `${record.duration_ms} ms`);
  });

  it("reports a connection that fails", async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", () => r()));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const record = await callHttpFunction(fn({ url: `http://127.0.0.1:${deadPort}/` }), call({}), {
      allowedHosts: ["127.0.0.1"],
      privateHosts: ["*"],
    });
    assert.equal(record.status, "failed");
    assert.match(
      record.output,
      new RegExp(`The request to 127\\.0\\.0\\.1:${deadPort} failed: .*ECONNREFUSED`),
    );
  });
});

describe("the network guard around calls", () => {
  it("refuses a host that is not allowed, without contacting it", async () => {
    const before = api.seen.length;
    const record = await callHttpFunction(fn({ url: `${base}/orders/1` }), call({}), {
      allowedHosts: ["api.example.com"],
      privateHosts: ["*"],
    });
    assert.equal(record.status, "refused");
    assert.equal(
      record.output,
      `127.0.0.1:${port} is not in the assistant's allowed hosts (api.example.com); its owner may add it`,
    );
    assert.equal(api.seen.length, before);
  });

  it("refuses loopback unless the admin allows that host and port", async () => {
    const before = api.seen.length;
    const f = fn({ url: `${base}/orders/1` });
    const refused = await callHttpFunction(f, call({}), {
      allowedHosts: ["127.0.0.1"],
      privateHosts: [],
    });
    assert.equal(refused.status, "refused");
    assert.equal(refused.http_status, null);
    assert.equal(
      refused.output,
      `127.0.0.1 is a loopback address; an admin may allow it with TAILOR_FUNCTION_PRIVATE_HOSTS=127.0.0.1:${port}`,
    );
    const otherPortOnly = await callHttpFunction(f, call({}), {
      allowedHosts: ["127.0.0.1"],
      privateHosts: ["127.0.0.1:1"],
    });
    assert.equal(otherPortOnly.status, "refused");
    assert.equal(api.seen.length, before);
    const allowed = await callHttpFunction(f, call({}), {
      allowedHosts: ["127.0.0.1"],
      privateHosts: [`127.0.0.1:${port}`],
    });
    assert.equal(allowed.status, "ok");
    assert.equal(api.seen.length, before + 1);
  });

  it("refuses localhost, which resolves to loopback", async () => {
    const before = api.seen.length;
    const record = await callHttpFunction(
      fn({ url: `http://localhost:${port}/orders/1` }),
      call({}),
      {
        allowedHosts: ["localhost"],
        privateHosts: [],
      },
    );
    assert.equal(record.status, "refused");
    assert.match(
      record.output,
      /^localhost resolves to (127\.0\.0\.1|::1), which is a loopback address/,
    );
    assert.equal(api.seen.length, before);
  });

  it("refuses the cloud metadata address before any connection", async () => {
    const record = await callHttpFunction(
      fn({ url: "http://169.254.169.254/latest/meta-data/iam/", timeout_ms: 5000 }),
      call({}),
      { allowedHosts: ["169.254.169.254"], privateHosts: [] },
    );
    assert.equal(record.status, "refused");
    assert.equal(record.http_status, null);
    assert.match(record.output, /^169\.254\.169\.254 is the cloud metadata address/);
    assert.ok(record.duration_ms < 1000, `${record.duration_ms} ms`);
  });

  it("uses the function's own host when the assistant lists no allowed hosts", async () => {
    const f = fn({ url: `${base}/orders/1` });
    const own = await callHttpFunction(f, call({}), {
      allowedHosts: [],
      privateHosts: network.privateHosts,
    });
    assert.equal(own.status, "ok");
  });

  it("follows redirects on the same host (307 keeps the POST and its body, 303 makes a GET), at most 3", async () => {
    const before = api.seen.length;
    const record = await callHttpFunction(
      fn({ url: `${base}/hop?n=2`, method: "POST" }),
      call({ a: 1 }),
      network,
    );
    assert.equal(record.status, "ok");
    assert.equal(JSON.parse(record.output).order, "final");
    assert.deepEqual(
      api.seen.slice(before).map((s) => `${s.method} ${s.url}`),
      ["POST /hop?n=2", "POST /hop?n=1", "POST /hop?n=0", "GET /orders/final"],
    );
    assert.deepEqual(
      api.seen.slice(before).map((s) => s.body),
      ['{"a":1}', '{"a":1}', '{"a":1}', ""],
    );
    const tooMany = await callHttpFunction(fn({ url: `${base}/hop?n=3` }), call({}), network);
    assert.equal(tooMany.status, "refused");
    assert.equal(tooMany.output, "The function redirected more than 3 times.");
  });

  it("refuses a redirect to another host without contacting it", async () => {
    const before = other.seen.length;
    for (const to of [
      `http://127.0.0.1:${otherPort}/`,
      `http://localhost:${port}/orders/1`,
      "http://169.254.169.254/",
    ]) {
      const url = `${base}/away?to=${encodeURIComponent(to)}`;
      const record = await callHttpFunction(fn({ url }), call({}), {
        allowedHosts: ["127.0.0.1", "localhost", "169.254.169.254"],
        privateHosts: ["*"],
      });
      assert.equal(record.status, "refused", to);
      assert.equal(record.http_status, 302);
      assert.match(
        record.output,
        /^The function redirected to another host \(http:\/\/[^)]+\); only redirects to the same scheme, host and port are followed\.$/,
      );
    }
    assert.equal(other.seen.length, before);
  });
});
