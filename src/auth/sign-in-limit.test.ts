import assert from "node:assert/strict";
import { test } from "node:test";
import { SignInLimiter, signInAddress } from "./sign-in-limit.ts";

test("an address is locked after its limit of failures, until its window ends", () => {
  let now = 1_000_000;
  const limiter = new SignInLimiter({ maxFailures: 3, windowMs: 60_000, now: () => now });
  assert.deepEqual(limiter.check("10.0.0.1"), { ok: true });
  assert.deepEqual(limiter.fail("10.0.0.1"), { locked: false, failures: 1 });
  now += 10_000;
  limiter.fail("10.0.0.1");
  assert.deepEqual(limiter.check("10.0.0.1"), { ok: true }, "2 of 3: still allowed");
  assert.deepEqual(limiter.fail("10.0.0.1"), { locked: true, failures: 3 });
  assert.deepEqual(limiter.check("10.0.0.1"), { ok: false, retryAfterSeconds: 50 });
  assert.deepEqual(limiter.check("10.0.0.2"), { ok: true }, "another address is not affected");
  now += 49_500;
  assert.deepEqual(limiter.check("10.0.0.1"), { ok: false, retryAfterSeconds: 1 });
  now += 500;
  assert.deepEqual(limiter.check("10.0.0.1"), { ok: true }, "the window has passed");
  assert.deepEqual(limiter.fail("10.0.0.1"), { locked: false, failures: 1 }, "a new window");
});

test("failures from one IPv6 /64 count together; IPv4-mapped addresses count as IPv4", () => {
  assert.equal(signInAddress("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  assert.equal(signInAddress("2001:db8:1:2:bbbb:cccc:dddd:eeee"), "2001:db8:1:2::/64");
  assert.equal(signInAddress("2001:db8::1"), "2001:db8:0:0::/64");
  assert.equal(signInAddress("::1"), "0:0:0:0::/64");
  assert.equal(signInAddress("::ffff:127.0.0.1"), "127.0.0.1");
  assert.equal(signInAddress("unknown"), "unknown");
  const limiter = new SignInLimiter({ maxFailures: 2 });
  limiter.fail("2001:db8:1:2::10");
  limiter.fail("2001:db8:1:2::11");
  assert.equal(limiter.check("2001:db8:1:2::12").ok, false);
  assert.equal(limiter.check("2001:db8:1:3::12").ok, true);
  limiter.fail("::ffff:192.0.2.7");
  limiter.fail("192.0.2.7");
  assert.equal(limiter.check("192.0.2.7").ok, false);
});

test("memory is bounded: past maxAddresses the oldest windows go", () => {
  const limiter = new SignInLimiter({ maxFailures: 1, maxAddresses: 100 });
  for (let i = 0; i < 1000; i++) limiter.fail(`10.0.${i >> 8}.${i & 255}`);
  assert.equal(limiter.size, 100);
  assert.equal(limiter.check("10.0.3.231").ok, false, "the latest is still locked");
  assert.equal(limiter.check("10.0.0.0").ok, true, "the first was dropped");
});
