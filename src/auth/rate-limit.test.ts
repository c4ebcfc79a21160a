import assert from "node:assert/strict";
import { test } from "node:test";
import { TailorError } from "../errors/index.ts";
import { RateLimiter } from "./rate-limit.ts";

function fakeClock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

test("refuses after the burst, says when to retry, and recovers with time", () => {
  const clock = fakeClock();
  const limiter = new RateLimiter({ requestsPerMinute: 60, burst: 3, now: clock.now });
  assert.deepEqual(
    [1, 2, 3].map(() => limiter.take("key-a")),
    [
      { ok: true, limit: 3, remaining: 2 },
      { ok: true, limit: 3, remaining: 1 },
      { ok: true, limit: 3, remaining: 0 },
    ],
  );
  const refused = limiter.take("key-a");
  assert.equal(refused.ok, false);
  assert.equal(!refused.ok && refused.retryAfterSeconds, 1, "60/min refills one a second");
  assert.equal(limiter.take("key-b").ok, true, "each key has its own bucket");

  clock.advance(999);
  assert.equal(limiter.take("key-a").ok, false);
  clock.advance(1);
  assert.equal(limiter.take("key-a").ok, true, "one token back after a second");
  assert.equal(limiter.take("key-a").ok, false);

  clock.advance(60_000);
  const afterQuiet = [1, 2, 3, 4].map(() => limiter.take("key-a").ok);
  assert.deepEqual(
    afterQuiet,
    [true, true, true, false],
    "a quiet spell refills to the burst, no more",
  );
});

test("a slow rate gives a long retry-after; refused requests take nothing", () => {
  const clock = fakeClock();
  const limiter = new RateLimiter({ requestsPerMinute: 2, burst: 1, now: clock.now });
  assert.equal(limiter.take("k").ok, true);
  for (let i = 0; i < 5; i++) {
    const r = limiter.take("k");
    assert.equal(!r.ok && r.retryAfterSeconds, 30 - i * 5);
    clock.advance(5000);
  }
  clock.advance(5000);
  assert.equal(limiter.take("k").ok, true, "30 s after the first request, despite the refusals");
});

test("the burst defaults to the per-minute rate; a clock stepping back refills nothing", () => {
  const clock = fakeClock();
  const limiter = new RateLimiter({ requestsPerMinute: 5, now: clock.now });
  assert.equal(limiter.burst, 5);
  for (let i = 0; i < 5; i++) assert.equal(limiter.take("k").ok, true);
  clock.advance(-60_000);
  assert.equal(limiter.take("k").ok, false);
  limiter.reset("k");
  assert.equal(limiter.take("k").ok, true);
});

test("memory stays bounded: past maxKeys the idle buckets go first", () => {
  const clock = fakeClock();
  const limiter = new RateLimiter({ requestsPerMinute: 60, burst: 2, now: clock.now, maxKeys: 10 });
  limiter.take("busy");
  limiter.take("busy");
  for (let i = 0; i < 8; i++) limiter.take(`idle-${i}`);
  clock.advance(5000); // the idle ones are full again; "busy" is too, so make it busy once more
  limiter.take("busy");
  limiter.take("busy");
  limiter.take("new-0");
  limiter.take("new-1"); // 11 buckets: down to 9, dropping two of the full idle ones
  assert.equal(limiter.size, 9);
  assert.equal(limiter.take("busy").ok, false, "the busy bucket was kept");
});

test("bad settings are refused", () => {
  for (const opts of [
    { requestsPerMinute: 0 },
    { requestsPerMinute: Number.NaN },
    { requestsPerMinute: 10, burst: 0 },
    { requestsPerMinute: 10, burst: 1.5 },
  ]) {
    assert.throws(() => new RateLimiter(opts), TailorError, JSON.stringify(opts));
  }
});
