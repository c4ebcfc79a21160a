/**
 * AssistantStore on both backends (SQLite and a real Postgres server): versions, secrets sealed and
 * kept, the allowed hosts, publication (slug, passcode, unpublish), deletion with its conversations.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { z } from "zod";
import type {
  AssistantSettingsInput,
  HttpFunctionInput as HttpFn,
} from "../../protocol/assistants.ts";

type HttpFunctionInput = z.input<typeof HttpFn>;

import { storeBackends } from "../store/postgres/__fixtures__/backends.ts";
import type { SqlDb } from "../store/sql.ts";
import { SecretBox } from "./secrets.ts";
import { AssistantStore } from "./store.ts";

const SECRET = "sk-orders-9f8e7d6c";
const orders = (headers: HttpFunctionInput["headers"]): HttpFunctionInput => ({
  kind: "http",
  name: "order_status",
  url: "https://shop.example.com/orders/{order_id}",
  method: "GET",
  parameters: {
    type: "object",
    properties: { order_id: { type: "string" } },
    required: ["order_id"],
  },
  headers,
});
const tutor = (over: Partial<AssistantSettingsInput> = {}): AssistantSettingsInput => ({
  name: "Shop helper",
  model: "tiny",
  instructions: "Answer about orders.",
  functions: [
    orders([
      { name: "Authorization", value: `Bearer ${SECRET}`, secret: true },
      { name: "X-Shop", value: "main", secret: false },
    ]),
  ],
  ...over,
});

for (const backend of storeBackends())
  describe(`AssistantStore on ${backend.name}`, () => {
    // opened once the Postgres server is up (the backends' own before hook)
    let db: SqlDb;
    let store: AssistantStore;
    before(() => {
      const home = mkdtempSync(join(tmpdir(), "tailor-assistants-store-"));
      db = backend.open(home).db;
      store = new AssistantStore(db, new SecretBox(home));
    });
    after(() => db.close());

    const rawVersions = (id: string) =>
      (
        db
          .prepare("SELECT settings_json FROM assistant_versions WHERE assistant_id = ?")
          .all(id) as {
          settings_json: string;
        }[]
      ).map((r) => r.settings_json);

    test("create: version 1, defaults filled, the secret sealed in the database and null when read", () => {
      const a = store.create("alice", "key_a", tutor());
      assert.match(a.id, /^asst_[A-Za-z0-9]{24}$/);
      assert.equal(a.version, 1);
      assert.equal(a.owner, "alice");
      assert.equal(a.settings.sampling.temperature, 0.7);
      assert.deepEqual(a.settings.allowed_hosts, ["shop.example.com"], "the functions' own hosts");
      const fn = a.settings.functions[0];
      assert.equal(fn?.kind, "http");
      if (fn?.kind !== "http") return;
      assert.deepEqual(fn.headers, [
        { name: "Authorization", value: null, secret: true },
        { name: "X-Shop", value: "main", secret: false },
      ]);
      assert.doesNotMatch(JSON.stringify(store.list(undefined)), new RegExp(SECRET));
      assert.doesNotMatch(JSON.stringify(store.versions(a.id)), new RegExp(SECRET));
      const [json] = rawVersions(a.id);
      assert.doesNotMatch(json ?? "", new RegExp(SECRET), "sealed at rest");
      assert.match(json ?? "", /"sealed":"/);
      const run = store.runtime(a.id);
      const rf = run.settings.functions[0];
      assert.equal(rf?.kind === "http" && rf.headers[0]?.value, `Bearer ${SECRET}`);
    });

    test("update: a new version each time, the secret kept when sent back as read, a new one needs its value", () => {
      const a = store.create("alice", "key_a", tutor());
      const b = store.update(a.id, "key_b", {
        instructions: "Be brief.",
        functions: a.settings.functions,
      });
      assert.equal(b.version, 2);
      assert.equal(b.settings.instructions, "Be brief.");
      assert.equal(b.settings.name, "Shop helper", "what the patch leaves out is kept");
      const rf = store.runtime(a.id).settings.functions[0];
      assert.equal(rf?.kind === "http" && rf.headers[0]?.value, `Bearer ${SECRET}`);
      assert.equal(store.runtime(a.id, 1).settings.instructions, "Answer about orders.");
      const c = store.update(a.id, "key_b", { greeting: "Hi!" });
      assert.equal(c.version, 3);
      const rc = store.runtime(a.id).settings.functions[0];
      assert.equal(rc?.kind === "http" && rc.headers[0]?.value, `Bearer ${SECRET}`);
      assert.deepEqual(
        store.versions(a.id).map((v) => [v.version, v.author]),
        [
          [3, "key_b"],
          [2, "key_b"],
          [1, "key_a"],
        ],
      );
      assert.throws(
        () =>
          store.update(a.id, "key_b", {
            functions: [orders([{ name: "X-Api-Key", value: null, secret: true }])],
          }),
        /functions\[0\]\.headers\[0\]\.value: a new secret needs its value/,
      );
      assert.equal(store.get(a.id).version, 3, "a refused update makes no version");
      const renamed = store.update(a.id, "key_b", {
        functions: [orders([{ name: "Authorization", value: "Bearer new", secret: true }])],
      });
      const rn = store.runtime(renamed.id).settings.functions[0];
      assert.equal(rn?.kind === "http" && rn.headers[0]?.value, "Bearer new");
      assert.throws(() => store.runtime(a.id, 99), /has no version 99/);
    });

    test("allowed hosts: given ones must cover every function; the default follows the functions", () => {
      assert.throws(
        () => store.create("alice", "k", tutor({ allowed_hosts: ["api.example.org"] })),
        /functions\[0\]\.url: its host shop\.example\.com is not in allowed_hosts/,
      );
      const wild = store.create("alice", "k", tutor({ allowed_hosts: ["*.Example.com"] }));
      assert.deepEqual(wild.settings.allowed_hosts, ["*.example.com"]);
      const a = store.create("alice", "k", tutor());
      const moved = store.update(a.id, "k", {
        functions: [{ ...orders([]), url: "https://api.shop.example.net/orders/{order_id}" }],
      });
      assert.deepEqual(moved.settings.allowed_hosts, ["api.shop.example.net"]);
      const echoed = store.update(a.id, "k", {
        allowed_hosts: moved.settings.allowed_hosts,
        functions: [{ ...orders([]), url: "https://orders.example.org/o/{order_id}" }],
      });
      assert.deepEqual(
        echoed.settings.allowed_hosts,
        ["orders.example.org"],
        "sent back unchanged",
      );
      assert.throws(
        () =>
          store.update(wild.id, "k", {
            functions: [{ ...orders([]), url: "https://elsewhere.net/o/{order_id}" }],
          }),
        /functions\[0\]\.url: its host elsewhere\.net is not in allowed_hosts/,
        "hosts the owner chose stay",
      );
    });

    test("publish: a slug from the name, taken slugs refused, passcodes hashed, unpublish at once", () => {
      const a = store.create("alice", "k", tutor({ name: "Course Tutor (Français)" }));
      assert.equal(store.bySlug("x"), null);
      const p = store.publish(a.id, {});
      assert.match(p.publication.slug ?? "", /^course-tutor-francais-[a-z0-9]{4}$/);
      assert.equal(p.publication.published, true);
      assert.equal(p.publication.access, "public");
      assert.equal(p.publication.visitor_requests_per_minute, 10);
      assert.equal(store.bySlug(p.publication.slug ?? "")?.id, a.id);

      const b = store.create("bob", "k", tutor());
      assert.throws(
        () => store.publish(b.id, { slug: p.publication.slug ?? "" }),
        /slug: ".*" is taken by another assistant/,
      );
      assert.throws(
        () => store.publish(b.id, { access: "passcode" }),
        /passcode: access "passcode" needs a passcode/,
      );
      assert.throws(
        () => store.publish(b.id, { passcode: "1234" }),
        /passcode: is only for access "passcode"/,
      );
      const locked = store.publish(b.id, {
        access: "passcode",
        passcode: "open sesame",
        slug: "shop-help",
      });
      assert.equal(locked.publication.slug, "shop-help");
      const hash = (
        db.prepare("SELECT passcode_hash FROM assistants WHERE id = ?").get(b.id) as {
          passcode_hash: string;
        }
      ).passcode_hash;
      assert.match(hash, /^scrypt\$16384\$8\$1\$/);
      assert.doesNotMatch(hash, /open sesame/);
      assert.equal(store.checkPasscode(b.id, "open sesame"), true);
      assert.equal(store.checkPasscode(b.id, "open sesame!"), false);
      assert.equal(
        store.checkPasscode(a.id, "open sesame"),
        false,
        "no passcode: nothing opens it",
      );
      store.publish(b.id, { access: "passcode", visitor_requests_per_minute: 3 });
      assert.equal(
        store.checkPasscode(b.id, "open sesame"),
        true,
        "republishing keeps the passcode",
      );

      const down = store.unpublish(a.id);
      assert.equal(down.publication.published, false);
      assert.equal(store.bySlug(p.publication.slug ?? ""), null, "gone at once");
      assert.equal(
        store.publish(a.id, {}).publication.slug,
        p.publication.slug,
        "the slug is kept",
      );
    });

    test("list is per owner, newest first; delete removes versions and conversations", () => {
      const mine = store.create("carol", "k", tutor({ name: "one" }));
      const second = store.create("carol", "k", tutor({ name: "two" }));
      store.update(mine.id, "k", { greeting: "hello" });
      assert.deepEqual(
        store.list("carol").map((a) => a.settings.name),
        ["two", "one"],
      );
      assert.ok(store.list(undefined).length > 2);
      assert.ok(
        store.list(undefined).every((a) => !("rowid" in a)),
        "Postgres' rowid stays inside",
      );
      db.prepare(
        "INSERT INTO conversations (id, assistant_id, channel, visitor, created_at, updated_at, expires_at) VALUES ('conv_t', ?, 'share', 'v', 1, 1, 2)",
      ).run(mine.id);
      store.delete(mine.id);
      assert.equal(store.find(mine.id), null);
      assert.throws(() => store.get(mine.id), /no assistant/);
      assert.equal(rawVersions(mine.id).length, 0);
      assert.equal(db.prepare("SELECT 1 FROM conversations WHERE id = 'conv_t'").get(), undefined);
      assert.throws(() => store.delete(mine.id), /no assistant/);
      assert.equal(store.get(second.id).settings.name, "two");
    });
  });
