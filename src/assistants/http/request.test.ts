import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RuntimeHttpFunction } from "../types.ts";
import { ACCEPT, buildRequest, USER_AGENT } from "./request.ts";

function fn(over: Partial<RuntimeHttpFunction>): RuntimeHttpFunction {
  return {
    kind: "http",
    name: "f",
    description: "",
    parameters: { type: "object", properties: {} },
    url: "https://api.example.com/v1/things",
    method: "GET",
    timeout_ms: 1000,
    max_response_bytes: 4096,
    headers: [],
    ...over,
  };
}

function built(f: RuntimeHttpFunction, args: Record<string, unknown>) {
  const result = buildRequest(f, args);
  assert.ok(result.ok, result.ok ? "" : result.message);
  return result.request;
}

describe("buildRequest", () => {
  it("fills path placeholders (URL-encoded) and sends the rest as the query of a GET", () => {
    const r = built(fn({ url: "https://api.example.com/orders/{order_id}/items?lang=en" }), {
      order_id: "A 1/2",
      limit: 5,
      tags: ["x", "y"],
      open: true,
      note: "café & co",
    });
    assert.equal(r.url.pathname, "/orders/A%201%2F2/items");
    assert.equal(r.url.searchParams.get("lang"), "en");
    assert.equal(r.url.searchParams.get("limit"), "5");
    assert.equal(r.url.searchParams.get("tags"), '["x","y"]');
    assert.equal(r.url.searchParams.get("open"), "true");
    assert.equal(r.url.searchParams.get("note"), "café & co");
    assert.equal(r.url.searchParams.has("order_id"), false);
    assert.equal(r.body, null);
    assert.equal(r.headers["content-type"], undefined);
  });

  it("sends DELETE's arguments as a query too", () => {
    const r = built(fn({ method: "DELETE", url: "https://api.example.com/t/{id}" }), {
      id: 7,
      hard: false,
    });
    assert.equal(r.url.pathname, "/t/7");
    assert.equal(r.url.search, "?hard=false");
    assert.equal(r.body, null);
  });

  it("sends the remaining arguments as a JSON body for POST, PUT and PATCH", () => {
    for (const method of ["POST", "PUT", "PATCH"] as const) {
      const r = built(fn({ method, url: "https://api.example.com/t/{id}" }), {
        id: "x",
        qty: 2,
        meta: { a: 1 },
      });
      assert.equal(r.url.pathname, "/t/x");
      assert.equal(r.url.search, "");
      assert.deepEqual(JSON.parse(r.body ?? ""), { qty: 2, meta: { a: 1 } });
      assert.equal(r.headers["content-type"], "application/json");
    }
  });

  it("sets the default headers, lets the function's own replace them, and keeps the transport's", () => {
    const r = built(
      fn({
        headers: [
          { name: "Authorization", value: "Bearer abc", secret: true },
          { name: "Accept", value: "application/xml", secret: false },
          { name: "Host", value: "internal.local", secret: false },
          { name: "Content-Length", value: "1", secret: false },
        ],
      }),
      {},
    );
    assert.deepEqual(r.headers, {
      "user-agent": USER_AGENT,
      accept: "application/xml",
      authorization: "Bearer abc",
    });
    assert.equal(built(fn({}), {}).headers.accept, ACCEPT);
  });

  it("asks for an argument a placeholder needs, and refuses dot segments", () => {
    const missing = buildRequest(fn({ url: "https://api.example.com/o/{order_id}" }), {});
    assert.deepEqual(missing, {
      ok: false,
      fault: "arguments",
      message: 'the URL needs "order_id"; give it in the arguments',
    });
    const dots = buildRequest(fn({ url: "https://api.example.com/o/{id}/x" }), { id: ".." });
    assert.equal(dots.ok, false);
    assert.match(dots.ok ? "" : dots.message, /"id" cannot be "\." or "\.\."/);
    assert.equal(
      built(fn({ url: "https://api.example.com/o/{id}" }), { id: "a..b" }).url.pathname,
      "/o/a..b",
    );
  });

  it("refuses a header value HTTP does not allow without repeating the value", () => {
    const result = buildRequest(
      fn({ headers: [{ name: "X-Key", value: "abc\r\nInjected: 1", secret: true }] }),
      {},
    );
    assert.equal(result.ok, false);
    assert.equal(result.ok ? "" : result.fault, "definition");
    const message = result.ok ? "" : result.message;
    assert.match(message, /header "X-Key" has a value HTTP does not allow/);
    assert.doesNotMatch(message, /abc|Injected/);
  });
});
