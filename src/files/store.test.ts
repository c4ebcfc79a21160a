import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { DatasetStore } from "../datasets/index.ts";
import { storeBackends } from "../store/postgres/__fixtures__/backends.ts";
import { FileStore } from "./store.ts";

const chat = (u: string, a: string) =>
  JSON.stringify({
    messages: [
      { role: "user", content: u },
      { role: "assistant", content: a },
    ],
  });

for (const backend of storeBackends())
  describe(`files on ${backend.name}`, () => {
    test("an upload's file row and its dataset version are stored together; errors and too few examples as before", async (t) => {
      const home = mkdtempSync(join(tmpdir(), "tailor-files-"));
      t.after(() => rmSync(home, { recursive: true, force: true }));
      const { db } = backend.open(home);
      t.after(() => db.close());
      const datasets = new DatasetStore(db, home);
      const files = new FileStore(db, datasets);
      const put = (name: string, lines: string[], purpose: "fine-tune" | "assistants") => {
        const path = join(home, name);
        writeFileSync(path, `${lines.join("\n")}\n`);
        return files.upload({ path, filename: name, purpose }, { owner: "ana" });
      };
      const ok = Array.from({ length: 12 }, (_, i) => chat(`How do I fix ${i}?`, `Step ${i}.`));

      const good = await put("good.jsonl", ok, "fine-tune");
      assert.equal(good.status, "processed");
      assert.match(good.dataset_id ?? "", /^ds-/);
      assert.equal(good.report?.examples, 12);
      // the same examples again: the version already stored, a new file row pointing at it
      const again = await put("again.jsonl", ok, "fine-tune");
      assert.equal(again.dataset_id, good.dataset_id);

      const few = await put("few.jsonl", ok.slice(0, 3), "fine-tune");
      assert.equal(few.status, "processed", "too few to train on, kept as validation data");
      assert.ok(few.dataset_id);
      assert.ok(few.report?.errors.every((e) => e.code === "too_few_examples"));
      assert.ok(
        few.report?.errors.every((e) => e.file === "few.jsonl"),
        "named by the upload's name",
      );

      const bad = await put("bad.jsonl", [...ok, "{not json"], "fine-tune");
      assert.equal(bad.status, "error");
      assert.equal(bad.dataset_id, null);
      assert.match(bad.status_details ?? "", /bad\.jsonl/);

      const doc = await put("notes.txt", ["plain text"], "assistants");
      assert.equal(doc.status, "processed");
      assert.equal(doc.dataset_id, null);

      const listed = files.list({ limit: 10 }).map((f) => [f.filename, f.id]);
      assert.deepEqual(
        new Set(listed.map(([name]) => name)),
        new Set(["good.jsonl", "again.jsonl", "few.jsonl", "bad.jsonl", "notes.txt"]),
      );
      for (const [, id] of listed) assert.ok(files.find(id ?? ""));
      assert.deepEqual(
        datasets
          .list()
          .map((d) => d.id)
          .sort(),
        [good.dataset_id, few.dataset_id].sort(),
      );
    });
  });
