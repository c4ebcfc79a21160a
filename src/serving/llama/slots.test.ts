import assert from "node:assert/strict";
import { test } from "node:test";
import { isTailorError } from "../../errors/index.ts";
import { Slots } from "./slots.ts";

test("slots are lent at once, then first in first out, and refused beyond the queue", async () => {
  const slots = new Slots(["a", "b"], 2, "the model m");
  assert.equal(await slots.acquire(), "b");
  assert.equal(await slots.acquire(), "a");
  const order: string[] = [];
  const first = slots.acquire().then((s) => order.push(`first:${s}`));
  const second = slots.acquire().then((s) => order.push(`second:${s}`));
  await assert.rejects(slots.acquire(), (e: unknown) => {
    assert.ok(isTailorError(e) && e.code === "rate_limited");
    assert.match(e.message, /the model m is answering 2 requests and 2 more are waiting/);
    assert.equal(e.details.retryAfterSeconds, 10, "a first guess until a lease is measured");
    return true;
  });
  slots.release("a", 4);
  slots.release("b", 4);
  await Promise.all([first, second]);
  assert.deepEqual(order, ["first:a", "second:b"]);
  assert.equal(slots.retryAfterSeconds(), 7, "smoothed towards the 4 s leases measured (6.94 s)");
});

test("a waiter whose signal aborts leaves the queue and gets nothing", async () => {
  const slots = new Slots(["a"], 1, "m");
  assert.equal(await slots.acquire(), "a");
  const controller = new AbortController();
  const waiting = slots.acquire(controller.signal);
  controller.abort();
  assert.equal(await waiting, undefined);
  assert.equal(slots.waiting, 0);
  const next = slots.acquire();
  slots.release("a");
  assert.equal(await next, "a", "the next waiter gets it, not the one that left");
});
