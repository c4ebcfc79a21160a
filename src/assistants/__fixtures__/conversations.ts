/** Test helpers of the conversations' tests: an assistant row to hang conversations on. */
import type { Db } from "../../store/index.ts";

/**
 * An assistant row (version 1, instructions in its settings) written straight into the database, so
 * the conversations' unit tests need neither the assistant store nor its secrets.
 */
export function insertAssistant(db: Db, id: string, owner: string, instructions = ""): void {
  const now = Math.floor(Date.now() / 1000);
  db.prepare(
    "INSERT INTO assistants (id, owner, created_at, updated_at, version) VALUES (?, ?, ?, ?, 1)",
  ).run(id, owner, now, now);
  db.prepare(
    `INSERT INTO assistant_versions (assistant_id, version, created_at, author, settings_json)
     VALUES (?, 1, ?, 'key_test', ?)`,
  ).run(id, now, JSON.stringify({ name: id, model: "tiny", instructions }));
}
