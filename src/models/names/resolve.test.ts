/**
 * A model name resolved where models are used (ModelAccessControl.resolve, which chat completions,
 * /v1/responses, assistants and the share page call): the current version's model, a pinned
 * `name@vN`, a promote and a rollback seen at once; another owner's name is an unknown model; a
 * viewer uses a name only when it may use the model behind it. A real registry folder, on SQLite
 * and on Postgres.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { Principal } from "../../auth/index.ts";
import { TailorError } from "../../errors/index.ts";
import { type StoreBackend, storeBackends } from "../../store/postgres/__fixtures__/backends.ts";
import { ModelAccessControl, type ModelJobs, ModelShares } from "../access.ts";
import { ModelRegistry } from "../registry.ts";
import { ModelNames } from "./store.ts";

function setupOn(backend: StoreBackend) {
  const home = mkdtempSync(join(tmpdir(), "tailor-names-resolve-"));
  const registry = new ModelRegistry(home);
  const source = { kind: "hf_dir" as const, path: join(home, "tiny") };
  const owners: Record<string, string> = {};
  const fineTuned = (name: string, jobId: string, owner: string) => {
    const folder = registry.modelDir(name);
    mkdirSync(folder, { recursive: true });
    owners[jobId] = owner;
    registry.writeManifest(folder, {
      kind: "fine_tuned",
      name,
      created_at: 1,
      base: { name: "tiny", source },
      training: {
        job_id: jobId,
        train_file: "ds-1",
        train_examples: 12,
        epochs: 1,
        learning_rate: 1e-3,
        batch_size: 4,
        lora_rank: 8,
        lora_alpha: 16,
        seed: 42,
        steps: 3,
        first_train_loss: 2,
        final_train_loss: 1,
        train_seconds: 1,
      },
    });
  };
  fineTuned("ft:tiny:a:v1", "ftjob-1", "alice");
  fineTuned("ft:tiny:a:v2", "ftjob-2", "alice");
  fineTuned("ft:tiny:b:v1", "ftjob-3", "bob");
  const jobs: ModelJobs = {
    ownerOf: (id) => owners[id] ?? null,
    making: () => null,
    checkpoint: () => null,
  };
  const db = backend.open(home).db;
  const names = new ModelNames(db, registry);
  const access = new ModelAccessControl(registry, new ModelShares(db), jobs, names);
  const who = (owner: string, role: Principal["role"] = "member"): Principal => ({
    keyId: `key-${owner}-${role}`,
    owner,
    role,
  });
  return { access, names, who };
}

const failsWith = (code: string, text: RegExp) => (e: unknown) => {
  assert.ok(e instanceof TailorError, String(e));
  assert.equal(e.code, code, e.message);
  assert.match(e.message, text);
  return true;
};

for (const backend of storeBackends())
  describe(`model names resolved on ${backend.name}`, () => {
    const setup = () => setupOn(backend);

    test("a name answers with its current version; promote and rollback are seen at once; name@vN pins one", () => {
      const { access, names, who } = setup();
      const alice = who("alice");
      names.create("support", "alice", "ft:tiny:a:v1", alice.keyId, "first");
      assert.equal(access.resolve(alice, "support").name, "ft:tiny:a:v1");
      assert.equal(access.resolve(alice, "support").adapterDir?.endsWith("ft_tiny_a_v1"), true);

      names.add("support", "ft:tiny:a:v2", { who: alice.keyId, why: "more", origin: "added" });
      assert.equal(access.resolve(alice, "support").name, "ft:tiny:a:v1", "added is not answering");
      assert.equal(access.resolve(alice, "support@v2").name, "ft:tiny:a:v2", "pinned");

      names.promote("support", 2, alice.keyId, "better on the corrections");
      assert.equal(access.resolve(alice, "support").name, "ft:tiny:a:v2");
      assert.equal(access.resolve(alice, "support@v1").name, "ft:tiny:a:v1");
      names.rollback("support", alice.keyId, "customers complained");
      assert.equal(access.resolve(alice, "support").name, "ft:tiny:a:v1");
      assert.equal(access.named(alice, "support")?.version, 1);

      assert.throws(() => access.resolve(alice, "support@v9"), failsWith("not_found", /no v9/));
      // a model's id is never taken for a name; ids that are no name stay unknown models
      assert.equal(access.named(alice, "ft:tiny:a:v2"), null);
      assert.equal(access.named(alice, "tiny"), null);
      assert.throws(
        () => access.resolve(alice, "nothing"),
        failsWith("model_not_found", /'nothing'/),
      );
    });

    test("another member's name is an unknown model; admins use all; viewers as they may use the model behind it", () => {
      const { access, names, who } = setup();
      names.create("support", "alice", "ft:tiny:a:v1", "key-alice", "first");
      names.create(
        "basic",
        "alice",
        "smollm2-135m-instruct",
        "key-alice",
        "a base to compare with",
      );

      const unknown = failsWith("model_not_found", /the model 'support(@v\d)?' does not exist/);
      assert.throws(() => access.resolve(who("bob"), "support"), unknown);
      assert.throws(() => access.resolve(who("bob"), "support@v1"), unknown);
      assert.throws(
        () => access.name(who("bob"), "support"),
        failsWith("not_found", /no model name/),
      );
      assert.throws(
        () => access.resolve(who("bob"), "support@v9"),
        unknown,
        "no version hint for others",
      );

      assert.equal(access.resolve(who("root", "admin"), "support").name, "ft:tiny:a:v1");
      assert.equal(access.name(who("alice", "viewer"), "support").current, 1);

      // alice's viewer key: the base behind `basic` yes; the unshared fine-tune behind `support` no
      assert.equal(access.resolve(who("alice", "viewer"), "basic").name, "smollm2-135m-instruct");
      assert.throws(
        () => access.resolve(who("alice", "viewer"), "support"),
        failsWith(
          "forbidden",
          /support v1 answers with 'ft:tiny:a:v1', which this viewer key may not use/,
        ),
      );
      access.share("ft:tiny:a:v1", true);
      assert.equal(access.resolve(who("alice", "viewer"), "support").name, "ft:tiny:a:v1");
      // a shared model does not make another owner's name theirs
      assert.throws(() => access.resolve(who("bob", "viewer"), "support"), unknown);
    });
  });
