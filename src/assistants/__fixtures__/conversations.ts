/** Test helpers of the conversations' tests: an assistant row to hang conversations on. */
import type { SqlDb } from "../../store/sql.ts";

/**
 * A bare assistant row with a fixed id, written straight into the database, for the conversation
 * store's own tests (which need only the row their foreign key points at). Tests that read the
 * assistant itself (its versions' instructions) create one with AssistantStore.
 */
export function insertAssistant(db: SqlDb, id: string, owner: string): void {
  const now = Math.floor(Date.now() / 1000);
  db.prepare(
    "INSERT INTO assistants (id, owner, created_at, updated_at, version) VALUES (?, ?, ?, ?, 1)",
  ).run(id, owner, now, now);
}
