import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { storeBackends } from "../store/postgres/__fixtures__/backends.ts";
import { insertAssistant } from "./__fixtures__/conversations.ts";
import { ConversationStore } from "./conversations.ts";
import { startRetentionSweep } from "./retention.ts";

for (const backend of storeBackends())
  describe(`retention on ${backend.name}`, () => {
    test("the sweep deletes expired conversations at once and then on its timer, until stopped", async () => {
      const db = backend.open(mkdtempSync(join(tmpdir(), "tailor-retention-"))).db;
      insertAssistant(db, "asst_a", "alice");
      let clock = 1_700_000_000;
      const store = new ConversationStore(db, { now: () => clock });
      const old = store.start("asst_a", "share", "v", 1);
      clock += 2 * 86_400;
      const fresh = store.start("asst_a", "share", "v", 1);
      const lines: string[] = [];
      const sweep = startRetentionSweep(store, { everyMs: 20, log: (l) => lines.push(l) });
      assert.equal(store.find(old.id), null); // at start, before any tick
      assert.deepEqual(lines, ["retention: deleted 1 expired conversation"]);
      clock += 2 * 86_400;
      await sleep(80);
      assert.equal(store.find(fresh.id), null); // on the timer
      sweep.stop();
      const later = store.start("asst_a", "share", "v", 1);
      clock += 2 * 86_400;
      await sleep(80);
      assert.ok(store.find(later.id), "stopped: nothing more is swept");
    });
  });
