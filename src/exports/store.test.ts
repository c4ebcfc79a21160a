/**
 * The exports table on both backends: a row made running, finished once as succeeded or failed;
 * newest first (made in the same second: the one made last first); what a stopped server left
 * running is failed.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { storeBackends } from "../store/postgres/__fixtures__/backends.ts";
import { ExportStore } from "./store.ts";

for (const backend of storeBackends())
  describe(`export store on ${backend.name}`, () => {
    const store = () =>
      new ExportStore(backend.open(mkdtempSync(join(tmpdir(), "tailor-exports-"))).db);
    const make = (s: ExportStore, model: string, owner: string) =>
      s.create({
        model,
        owner,
        format: "gguf",
        quantization: model === "ft:a" ? "q4_0" : null,
        path: (id) => `/exports/${id}`,
      });

    test("created running; succeeded with its files and size, once; failed with why", () => {
      const s = store();
      const x = make(s, "ft:a", "alice");
      assert.match(x.id, /^export-[0-9a-f]{24}$/);
      assert.deepEqual(
        { ...x, id: "", path: "", created_at: 0 },
        {
          id: "",
          model: "ft:a",
          owner: "alice",
          format: "gguf",
          quantization: "q4_0",
          status: "running",
          error: null,
          path: "",
          files: [],
          bytes: null,
          created_at: 0,
          finished_at: null,
        },
      );
      assert.equal(x.path, `/exports/${x.id}`);
      const files = [
        { name: "model.gguf", bytes: 5_000_000_000 },
        { name: "Modelfile", bytes: 120 },
      ];
      s.succeed(x.id, files);
      const done = s.get(x.id);
      assert.equal(done?.status, "succeeded");
      assert.deepEqual(done?.files, files);
      assert.equal(done?.bytes, 5_000_000_120);
      assert.ok(done?.finished_at !== null && (done?.finished_at ?? 0) >= x.created_at);
      s.fail(x.id, "too late");
      assert.equal(s.get(x.id)?.status, "succeeded", "a finished export stays as it finished");

      const y = make(s, "ft:b", "alice");
      s.fail(y.id, "the engine stopped");
      assert.deepEqual(
        [s.get(y.id)?.status, s.get(y.id)?.error, s.get(y.id)?.quantization],
        ["failed", "the engine stopped", null],
      );
      s.delete(y.id);
      assert.equal(s.get(y.id), null);
      assert.equal(s.get("export-nope"), null);
    });

    test("listed newest first, by owner and model; running ones failed when a server stops", () => {
      const s = store();
      const a = make(s, "ft:a", "alice");
      const b = make(s, "ft:b", "bob");
      const c = make(s, "ft:a", "bob");
      s.succeed(a.id, []);
      const ids = (f?: { owner?: string; model?: string }) => s.list(f).map((x) => x.id);
      // made in the same second: the one made last comes first
      assert.deepEqual(ids(), [c.id, b.id, a.id]);
      assert.deepEqual(ids({ owner: "bob" }), [c.id, b.id]);
      assert.deepEqual(ids({ model: "ft:a" }), [c.id, a.id]);
      assert.deepEqual(ids({ owner: "alice", model: "ft:b" }), []);
      assert.ok(
        s.list().every((x) => !("rowid" in x)),
        "no column of the store's own is shown",
      );

      assert.equal(s.failRunning("the server stopped"), 2);
      assert.deepEqual(
        s.list().map((x) => [x.id, x.status, x.error]),
        [
          [c.id, "failed", "the server stopped"],
          [b.id, "failed", "the server stopped"],
          [a.id, "succeeded", null],
        ],
      );
      assert.equal(s.failRunning("again"), 0);
    });
  });
