/** SecretBox: sealed values open with the same key only, the key file is made once with mode 0600. */
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { SECRETS_KEY_FILE, SecretBox } from "./secrets.ts";

const home = () => mkdtempSync(join(tmpdir(), "tailor-secrets-"));

test("a sealed value opens again, is not the clear text, and differs each time", () => {
  const h = home();
  const box = new SecretBox(h);
  const a = box.seal("Bearer sk-shop-1234");
  const b = box.seal("Bearer sk-shop-1234");
  assert.notEqual(a, b, "a fresh iv each time");
  assert.doesNotMatch(Buffer.from(a, "base64").toString("latin1"), /sk-shop/);
  assert.equal(box.open(a), "Bearer sk-shop-1234");
  assert.equal(
    new SecretBox(h).open(b),
    "Bearer sk-shop-1234",
    "the key is read back from the file",
  );
  assert.equal(box.open(box.seal("")), "");
  const file = join(h, SECRETS_KEY_FILE);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(readFileSync(file).length, 32);
});

test("another key or an altered value is refused, saying so", () => {
  const sealed = new SecretBox(home()).seal("token");
  assert.throws(
    () => new SecretBox(home()).open(sealed),
    /sealed with another key .* or the stored value was altered/,
  );
  const h = home();
  const box = new SecretBox(h);
  const raw = Buffer.from(box.seal("token"), "base64");
  raw[raw.length - 1] = (raw.at(-1) ?? 0) ^ 1;
  assert.throws(() => box.open(raw.toString("base64")), /could not be decrypted/);
  assert.throws(() => box.open("AAAA"), /could not be decrypted/);
});

test("a key file others may read is refused with the chmod to run", () => {
  const h = home();
  const file = join(h, SECRETS_KEY_FILE);
  writeFileSync(file, Buffer.alloc(32, 7));
  chmodSync(file, 0o644);
  assert.throws(() => new SecretBox(h).seal("x"), new RegExp(`mode 644.*chmod 600 ${file}`));
  chmodSync(file, 0o600);
  const box = new SecretBox(h);
  assert.equal(box.open(box.seal("x")), "x");
  assert.deepEqual(readFileSync(file), Buffer.alloc(32, 7), "an existing key is kept");
});
