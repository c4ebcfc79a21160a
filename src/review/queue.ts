/**
 * The review queue: every answer that got feedback waits here for a person, who accepts it (as
 * proposed, or edited) or rejects it; personal data is found and can be redacted first. Nothing
 * becomes a training example without a reviewer: a retrain takes only accepted items (`unused`)
 * and records which dataset version each went into and who accepted it (`markUsed`).
 */
import type { NewReviewItem, ReviewItem, ReviewStatus } from "../../protocol/review.ts";
import { TailorError } from "../errors/index.ts";
import type { NameFinder } from "../safety/index.ts";
import { isPostgres, type SqlDb } from "../store/sql.ts";
import { checkedNew, nonEmpty } from "./input.ts";
import { findItemPii, findItemPiiWithNames, redactItem } from "./pii.ts";
import { decidedBy, type ItemRow, itemOf, newItemId, nowSeconds, proposedOf } from "./rows.ts";

export const DEFAULT_PAGE = 20;
export const MAX_PAGE = 100;

export interface ReviewQueueOptions {
  /** The clock in Unix seconds (tests move it). */
  now?: () => number;
}

const notFound = (id: string) =>
  new TailorError({
    code: "not_found",
    message: `no review item ${id}; \`tailor review list --status all\` (GET /v1/review/items?status=all) lists them`,
    details: { field: "id" },
  });

export class ReviewQueue {
  private readonly now: () => number;

  constructor(
    readonly db: SqlDb,
    opts: ReviewQueueOptions = {},
  ) {
    this.now = opts.now ?? nowSeconds;
  }

  /**
   * Files feedback: a new pending item, or the pending item of the same answer updated with the new
   * feedback (its proposed answer and personal data found again). A decided item stays as it was
   * decided and is returned as it is: feedback given after a decision does not undo it.
   */
  file(input: NewReviewItem): ReviewItem {
    const n = checkedNew(input);
    return this.db
      .transaction((): ReviewItem => {
        const filed = this.#fileOnce(n) ?? this.#fileOnce(n);
        if (!filed) throw new Error(`review item of ${n.source} ${n.source_id} not filed`);
        return filed;
      })
      .immediate();
  }

  /**
   * `file` in its transaction; null when another server filed feedback on the same answer at the
   * same moment (Postgres) and got there first: filing again then finds its item and updates it.
   */
  #fileOnce(n: NewReviewItem): ReviewItem | null {
    const messageId = n.message_id ?? "";
    const row = this.db
      .prepare(
        `SELECT * FROM review_items WHERE source = ? AND source_id = ? AND message_id = ?${this.#forUpdate}`,
      )
      .get(n.source, n.source_id, messageId) as ItemRow | undefined;
    const old = row ? itemOf(row) : null;
    if (old && old.status !== "pending") return old;
    // a redacted item keeps its redacted question and answer (the source may still hold them)
    const question = old?.redacted ? old.question : n.question;
    const answer = old?.redacted ? old.answer : n.answer;
    const proposed = proposedOf(answer, n.feedback);
    const pii = findItemPii({ question, answer, proposed, final_answer: null });
    const values = {
      question_json: JSON.stringify(question),
      answer,
      feedback_json: JSON.stringify(n.feedback),
      proposed,
      pii_json: JSON.stringify(pii),
    };
    if (old) {
      this.db
        .prepare(
          `UPDATE review_items SET question_json = @question_json, answer = @answer,
             feedback_json = @feedback_json, proposed = @proposed, pii_json = @pii_json
           WHERE id = @id`,
        )
        .run({ ...values, id: old.id });
      return this.get(old.id);
    }
    const id = newItemId();
    const { changes } = this.db
      .prepare(
        `INSERT INTO review_items (id, created_at, status, source, source_id, message_id, model,
           resolved_model, owner, question_json, answer, feedback_json, proposed, pii_json)
         VALUES (@id, @created_at, 'pending', @source, @source_id, @message_id, @model,
           @resolved_model, @owner, @question_json, @answer, @feedback_json, @proposed, @pii_json)
         ON CONFLICT (source, source_id, message_id) DO NOTHING`,
      )
      .run({
        ...values,
        id,
        created_at: this.now(),
        source: n.source,
        source_id: n.source_id,
        message_id: messageId,
        model: n.model,
        resolved_model: n.resolved_model,
        owner: n.owner,
      });
    return changes > 0 ? this.get(id) : null;
  }

  /** " FOR UPDATE" on Postgres: a read in a transaction holds the row, as SQLite's write lock does. */
  get #forUpdate(): string {
    return isPostgres(this.db) ? " FOR UPDATE" : "";
  }

  /** The item, its row held until the transaction ends (Postgres). */
  #locked(id: string): ReviewItem {
    const row = this.db
      .prepare(`SELECT * FROM review_items WHERE id = ?${this.#forUpdate}`)
      .get(id) as ItemRow | undefined;
    if (!row) throw notFound(id);
    return itemOf(row);
  }

  get(id: string): ReviewItem {
    const item = this.find(id);
    if (!item) throw notFound(id);
    return item;
  }

  find(id: string): ReviewItem | null {
    const row = this.db.prepare("SELECT * FROM review_items WHERE id = ?").get(id) as
      | ItemRow
      | undefined;
    return row ? itemOf(row) : null;
  }

  /** The item of an answer, if it got feedback (a completion's `messageId` is null). */
  findBySource(source: string, sourceId: string, messageId: string | null): ReviewItem | null {
    const row = this.db
      .prepare("SELECT * FROM review_items WHERE source = ? AND source_id = ? AND message_id = ?")
      .get(source, sourceId, messageId ?? "") as ItemRow | undefined;
    return row ? itemOf(row) : null;
  }

  /**
   * Oldest first; every owner's when `owner` is undefined, every status when `status` is. `model`
   * matches the model as asked or the version that answered; `after` is the last id of the page
   * before.
   */
  list(
    owner: string | undefined,
    opts: { status?: ReviewStatus; model?: string; after?: string; limit?: number } = {},
  ): { data: ReviewItem[]; has_more: boolean } {
    const limit = Math.min(Math.max(opts.limit ?? DEFAULT_PAGE, 1), MAX_PAGE);
    const where: string[] = [];
    const args: Record<string, string | number> = { limit: limit + 1 };
    if (owner !== undefined) {
      where.push("owner = @owner");
      args.owner = owner;
    }
    if (opts.status !== undefined) {
      where.push("status = @status");
      args.status = opts.status;
    }
    if (opts.model !== undefined) {
      where.push("(model = @model OR resolved_model = @model)");
      args.model = opts.model;
    }
    if (opts.after !== undefined) {
      const after = this.db.prepare("SELECT seq FROM review_items WHERE id = ?").get(opts.after) as
        | { seq: number }
        | undefined;
      if (!after)
        throw new TailorError({
          code: "invalid_argument",
          message: `after: no review item ${opts.after}; give the last id of the page before`,
          details: { field: "after" },
        });
      where.push("seq > @after");
      args.after = after.seq;
    }
    const rows = this.db
      .prepare(
        `SELECT * FROM review_items ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
         ORDER BY seq LIMIT @limit`,
      )
      .all(args) as ItemRow[];
    return { data: rows.slice(0, limit).map(itemOf), has_more: rows.length > limit };
  }

  /**
   * Accepts the proposed answer, or `answer` (an edit): it becomes the item's final answer, the
   * example a retrain learns. Refused when nothing is proposed and no edit is given, and when the
   * item was decided already (by whom and when is said).
   */
  accept(id: string, reviewer: string, opts: { answer?: string; note?: string } = {}): ReviewItem {
    return this.decide(id, reviewer, (item) => {
      const edit = opts.answer === undefined ? null : nonEmpty(opts.answer, "answer");
      const final = edit ?? item.proposed;
      if (final === null)
        throw new TailorError({
          code: "invalid_argument",
          message: `${id} was rated down with no correction: write the right answer with --answer (\`tailor review edit ${id} --answer TEXT\`; the API's "answer"), or reject it`,
          details: { field: "answer" },
        });
      const pii = findItemPii({ ...item, final_answer: final });
      return { status: "accepted", final_answer: final, note: opts.note ?? null, pii };
    });
  }

  /** Rejects an item: it never becomes an example. */
  reject(id: string, reviewer: string, note?: string): ReviewItem {
    return this.decide(id, reviewer, () => ({
      status: "rejected",
      final_answer: null,
      note: note ?? null,
      pii: null,
    }));
  }

  private decide(
    id: string,
    reviewer: string,
    outcome: (item: ReviewItem) => {
      status: "accepted" | "rejected";
      final_answer: string | null;
      note: string | null;
      pii: ReviewItem["pii"] | null;
    },
  ): ReviewItem {
    const who = nonEmpty(reviewer, "reviewer");
    return this.db
      .transaction((): ReviewItem => {
        const item = this.#locked(id);
        if (item.status !== "pending")
          throw new TailorError({
            code: "conflict",
            message: `${id} was already ${decidedBy(item)}; a decision is made once`,
            details: { field: "id" },
          });
        const o = outcome(item);
        this.db
          .prepare(
            `UPDATE review_items SET status = ?, final_answer = ?, note = ?, reviewer = ?,
               decided_at = ?, pii_json = COALESCE(?, pii_json)
             WHERE id = ? AND status = 'pending'`,
          )
          .run(
            o.status,
            o.final_answer,
            o.note,
            who,
            this.now(),
            o.pii === null ? null : JSON.stringify(o.pii),
            id,
          );
        return this.get(id);
      })
      .immediate();
  }

  /**
   * Replaces the personal data in the item's question, answer, feedback, proposed and final answer
   * with typed placeholders, marks it redacted and finds what is left (names too, with `names`).
   * Refused once a dataset version holds the item: redact that dataset instead.
   */
  async redact(
    id: string,
    opts: { names: NameFinder | null; signal?: AbortSignal } = { names: null },
  ): Promise<{ item: ReviewItem; replaced: Record<string, number> }> {
    const before = this.get(id);
    this.refuseUsed(before, "redacted");
    const { item: r, replaced } = await redactItem(before, opts.names, opts.signal);
    const pii = await findItemPiiWithNames(r, opts.names, opts.signal);
    return this.db
      .transaction(() => {
        const now = this.#locked(id);
        this.refuseUsed(now, "redacted");
        // feedback or a decision that came while the names were being found: redact again
        if (textsOf(now) !== textsOf(before))
          throw new TailorError({
            code: "conflict",
            message: `${id} changed while it was being redacted (new feedback or a decision); redact it again`,
            details: { field: "id" },
          });
        this.db
          .prepare(
            `UPDATE review_items SET question_json = ?, answer = ?, feedback_json = ?, proposed = ?,
               final_answer = ?, pii_json = ?, redacted = 1 WHERE id = ?`,
          )
          .run(
            JSON.stringify(r.question),
            r.answer,
            JSON.stringify(r.feedback),
            r.proposed,
            r.final_answer,
            JSON.stringify(pii),
            id,
          );
        return { item: this.get(id), replaced };
      })
      .immediate();
  }

  /**
   * Finds the item's personal data again, people's names included (the engine's NameFinder):
   * filing finds the structured kinds only, so as not to wait for an engine.
   */
  async rescan(id: string, names: NameFinder, signal?: AbortSignal): Promise<ReviewItem> {
    const before = this.get(id);
    const pii = await findItemPiiWithNames(before, names, signal);
    this.db
      .prepare(
        `UPDATE review_items SET pii_json = ? WHERE id = ? AND question_json = ? AND answer = ?
           AND proposed IS NOT DISTINCT FROM CAST(? AS TEXT)
           AND final_answer IS NOT DISTINCT FROM CAST(? AS TEXT)`,
      )
      .run(
        JSON.stringify(pii),
        id,
        JSON.stringify(before.question),
        before.answer,
        before.proposed,
        before.final_answer,
      );
    return this.get(id);
  }

  /** Accepted items of the models in `models` (a name's versions) not yet used in a dataset, oldest first. */
  unused(models: string[]): ReviewItem[] {
    if (!models.length) return [];
    const rows = this.db
      .prepare(
        `SELECT * FROM review_items WHERE status = 'accepted' AND used_in IS NULL
           AND resolved_model IN (${models.map(() => "?").join(", ")})
         ORDER BY seq`,
      )
      .all(...models) as ItemRow[];
    return rows.map(itemOf);
  }

  /**
   * Marks items as used by a dataset version and records the lineage (which item, who accepted
   * it), all or none: an item that is not accepted, or is already in a dataset, refuses the lot.
   */
  markUsed(ids: string[], datasetId: string): void {
    const dataset = nonEmpty(datasetId, "dataset_id");
    this.db
      .transaction(() => {
        const lineage = this.db.prepare(
          "INSERT INTO dataset_lineage (dataset_id, review_item_id, accepted_by) VALUES (?, ?, ?)",
        );
        const use = this.db.prepare("UPDATE review_items SET used_in = ? WHERE id = ?");
        for (const id of new Set(ids)) {
          const item = this.#locked(id);
          if (item.status !== "accepted")
            throw new TailorError({
              code: "conflict",
              message: `${id} is ${item.status}, not accepted: only accepted items become examples`,
              details: { field: "ids" },
            });
          this.refuseUsed(item, "used again");
          lineage.run(dataset, id, item.reviewer ?? "");
          use.run(dataset, id);
        }
      })
      .immediate();
  }

  /** The items a dataset version was made from, with who accepted each (oldest first). */
  lineage(datasetId: string): { item: ReviewItem; accepted_by: string }[] {
    const rows = this.db
      .prepare(
        `SELECT r.*, l.accepted_by AS lineage_accepted_by FROM dataset_lineage l
           JOIN review_items r ON r.id = l.review_item_id
         WHERE l.dataset_id = ? ORDER BY r.seq`,
      )
      .all(datasetId) as (ItemRow & { lineage_accepted_by: string })[];
    return rows.map((r) => ({ item: itemOf(r), accepted_by: r.lineage_accepted_by }));
  }

  private refuseUsed(item: ReviewItem, doing: string): void {
    if (item.used_in !== null)
      throw new TailorError({
        code: "conflict",
        message: `${item.id} is in dataset version ${item.used_in} already and cannot be ${doing}`,
        details: { field: "id" },
      });
  }
}

/** What redaction reads: it must not overwrite texts that changed while names were found. */
const textsOf = (i: ReviewItem): string =>
  JSON.stringify([i.status, i.question, i.answer, i.feedback, i.proposed, i.final_answer]);
