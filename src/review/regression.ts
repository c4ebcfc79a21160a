/**
 * Regression examples a model name must never break, pinned by its owner: always part of the gate
 * of its retrains (the gate reads `list`). An example is a conversation ending with a question and
 * the answer it must keep giving; pinned by hand, or from a review item a person accepted (its
 * question and final answer).
 */
import { randomBytes } from "node:crypto";
import { z } from "@hono/zod-openapi";
import { ChatMessage } from "../../protocol/index.ts";
import type { RegressionExample, ReviewItem } from "../../protocol/review.ts";
import { TailorError } from "../errors/index.ts";
import type { SqlDb } from "../store/sql.ts";
import { checkedExample, nonEmpty } from "./input.ts";
import { nowSeconds } from "./rows.ts";

interface ExampleRow {
  id: string;
  name: string;
  messages_json: string;
  expected: string;
  pinned_by: string;
  pinned_at: number;
  note: string | null;
}

const Messages = z.array(ChatMessage);

function exampleOf(r: ExampleRow): RegressionExample {
  return {
    id: r.id,
    name: r.name,
    messages: Messages.parse(JSON.parse(r.messages_json)),
    expected: r.expected,
    pinned_by: r.pinned_by,
    pinned_at: r.pinned_at,
    note: r.note,
  };
}

export class RegressionSet {
  private readonly now: () => number;

  constructor(
    readonly db: SqlDb,
    opts: { now?: () => number } = {},
  ) {
    this.now = opts.now ?? nowSeconds;
  }

  pin(
    name: string,
    example: { messages: ChatMessage[]; expected: string; note?: string | null },
    who: string,
  ): RegressionExample {
    const e = checkedExample(example);
    const id = `reg_${randomBytes(12).toString("hex")}`;
    this.db
      .prepare(
        `INSERT INTO regression_examples (id, name, messages_json, expected, pinned_by, pinned_at, note)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        nonEmpty(name, "name"),
        JSON.stringify(e.messages),
        e.expected,
        nonEmpty(who, "pinned_by"),
        this.now(),
        e.note ?? null,
      );
    return this.get(id);
  }

  /** Pins an accepted review item: its question, and its final answer as the expected one. */
  pinReviewed(
    name: string,
    item: ReviewItem,
    who: string,
    note?: string | null,
  ): RegressionExample {
    if (item.status !== "accepted" || item.final_answer === null)
      throw new TailorError({
        code: "conflict",
        message: `${item.id} is ${item.status}: only an accepted item has an answer to keep; accept it first (\`tailor review accept ${item.id}\`)`,
        details: { field: "review_item" },
      });
    return this.pin(
      name,
      {
        messages: item.question,
        expected: item.final_answer,
        note: note ?? item.note ?? `from review item ${item.id}`,
      },
      who,
    );
  }

  /** A name's examples, oldest first. */
  list(name: string): RegressionExample[] {
    const rows = this.db
      .prepare("SELECT * FROM regression_examples WHERE name = ? ORDER BY pinned_at, rowid")
      .all(name) as ExampleRow[];
    return rows.map(exampleOf);
  }

  find(id: string): RegressionExample | null {
    const row = this.db.prepare("SELECT * FROM regression_examples WHERE id = ?").get(id) as
      | ExampleRow
      | undefined;
    return row ? exampleOf(row) : null;
  }

  get(id: string): RegressionExample {
    const e = this.find(id);
    if (!e)
      throw new TailorError({
        code: "not_found",
        message: `no regression example ${id}; \`tailor models regression NAME\` lists a name's`,
        details: { field: "id" },
      });
    return e;
  }

  /** Unpins an example; false when there was none with that id. */
  unpin(id: string): boolean {
    return this.db.prepare("DELETE FROM regression_examples WHERE id = ?").run(id).changes > 0;
  }
}
