import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { TailorError } from "../errors/index.ts";
import { type StoreBackend, storeBackends } from "../store/postgres/__fixtures__/backends.ts";
import { DatasetStore } from "./store.ts";

const chat = (u: string, a: string) =>
  JSON.stringify({
    messages: [
      { role: "user", content: u },
      { role: "assistant", content: a },
    ],
  });

function setupOn(backend: StoreBackend) {
  const home = mkdtempSync(join(tmpdir(), "tailor-store-"));
  const file = (name: string, lines: string[]) => {
    const path = join(home, name);
    writeFileSync(path, `${lines.join("\n")}\n`);
    return path;
  };
  return { home, file, store: new DatasetStore(backend.open(home).db, home) };
}
const lines = (count: number) =>
  Array.from({ length: count }, (_, i) =>
    chat(`How do I fix problem ${i}?`, `Step ${i}: check the chain.`),
  );
const blobCount = (home: string) =>
  existsSync(join(home, "blobs", "sha256"))
    ? readdirSync(join(home, "blobs", "sha256"), { recursive: true }).filter(
        (f) => String(f).length > 3,
      ).length
    : 0;

const BACKENDS = storeBackends();
for (const backend of BACKENDS)
  describe(`datasets on ${backend.name}`, () => {
    const setup = () => setupOn(backend);

    test("a stored version is content-addressed: the same examples give the same id, stored once", async () => {
      const { home, file, store } = setup();
      const a = await store.add(file("a.jsonl", lines(20)), { name: "faq" });
      const b = await store.add(file("b.jsonl", lines(20)), { name: "faq" });
      assert.equal(a.created, true);
      assert.equal(b.created, false);
      assert.equal(a.version.id, b.version.id);
      assert.match(a.version.id, /^ds-[0-9a-f]{16}$/);
      assert.equal(store.list().length, 1);
      assert.equal(store.cat(a.version.id).trim().split("\n").length, 20);
      assert.equal(store.get(a.version.id).report.examples, 20);
      assert.equal(blobCount(home), 1);
    });

    test("a file with errors stores nothing", async () => {
      const { home, file, store } = setup();
      await assert.rejects(
        store.add(file("bad.jsonl", [...lines(20), "{oops"])),
        (e: unknown) =>
          e instanceof TailorError &&
          e.code === "data_invalid" &&
          /nothing was stored/.test(e.message),
      );
      assert.equal(store.list().length, 0);
      assert.equal(blobCount(home), 0);
    });

    test("--val-split holds out examples by content, the same way every time", async () => {
      const { file, store } = setup();
      const { version } = await store.add(file("a.jsonl", lines(200)), { valSplit: 0.2 });
      assert.equal(version.train_examples + version.val_examples, 200);
      assert.ok(
        version.val_examples > 20 && version.val_examples < 60,
        `val ${version.val_examples}`,
      );
      const val = store.cat(version.id, "val");
      assert.equal(val.trim().split("\n").length, version.val_examples);
    });

    test("--redact stores a copy with consistent placeholders and leaves the user's file alone", async () => {
      const { file, store } = setup();
      const original = [
        ...lines(12),
        chat(
          "I am Maria Gonzalez, mail maria.g@example.com",
          "Thanks Maria Gonzalez, we wrote to maria.g@example.com.",
        ),
      ];
      const path = file("pii.jsonl", original);
      const before = readFileSync(path, "utf8");
      const { version } = await store.add(path, { redact: true });
      assert.equal(readFileSync(path, "utf8"), before);
      const stored = store.cat(version.id);
      assert.doesNotMatch(stored, /maria\.g@example\.com/);
      const last = JSON.parse(stored.trim().split("\n").at(-1) ?? "{}") as {
        messages: { content: string }[];
      };
      assert.match(last.messages[0]?.content ?? "", /\[EMAIL\]/);
      assert.match(last.messages[1]?.content ?? "", /\[EMAIL\]/);
      assert.equal(version.redaction?.EMAIL, 2);
      assert.equal(version.redacted, true);

      // a stored version can be redacted into a new version too; the old one stays as it was
      const plain = await store.add(path, { name: "support", valSplit: 0.2 });
      const again = await store.add(plain.version.id, { redact: true });
      assert.notEqual(again.version.id, plain.version.id);
      assert.equal(again.version.name, "support");
      assert.equal(again.version.val_examples, plain.version.val_examples);
      assert.match(
        store.cat(plain.version.id) + store.cat(plain.version.id, "val"),
        /maria\.g@example\.com/,
      );
      assert.doesNotMatch(
        store.cat(again.version.id) + store.cat(again.version.id, "val"),
        /maria\.g@example\.com/,
      );
    });

    test("rm deletes the version and its bytes, but not bytes another version shares", async () => {
      const { home, file, store } = setup();
      const one = await store.add(file("one.jsonl", lines(15)));
      const shared = await store.add(file("same.jsonl", lines(15)), {
        val: file("val.jsonl", [chat("Other?", "Yes.")]),
      });
      const alone = await store.add(file("alone.jsonl", lines(12)));
      assert.equal(store.files(shared.version.id).train, store.files(one.version.id).train);
      assert.deepEqual(store.remove(one.version.id), { deletedBlobs: 0 }); // its training file is shared
      assert.ok(existsSync(store.files(shared.version.id).train));
      const alonePath = store.files(alone.version.id).train;
      const before = blobCount(home);
      assert.deepEqual(store.remove(alone.version.id), { deletedBlobs: 1 });
      assert.equal(existsSync(alonePath), false);
      assert.equal(blobCount(home), before - 1);
      assert.throws(() => store.get(alone.version.id), /no dataset/);
    });
  });
