import { z } from "zod";
import { AUDIT_RESULTS, type AuditResult } from "../../protocol/index.ts";
import { TailorError } from "../errors/index.ts";
import type { SqlDb } from "../store/sql.ts";
import type { Role } from "./keys.ts";

export { AUDIT_RESULTS, type AuditResult };

/** What happened, as the server or the CLI reports it. */
export interface AuditInput {
  /** The API key that acted; null for the local CLI, which needs none. */
  keyId: string | null;
  owner: string | null;
  role: Role | null;
  /** Dotted, resource first: `keys.create`, `files.upload`, `chat.completions.create`. */
  action: string;
  /** What it acted on: a key, job, file or model id. */
  target?: string | null | undefined;
  result: AuditResult;
  /** The HTTP status the server answered, when there was one. */
  status?: number | null | undefined;
  /** Who called: `cli`, `studio`, or the HTTP client's address and user agent. */
  client?: string | null | undefined;
  /** Small extra facts (an error code, a count). Never put a key or a request body here. */
  details?: Record<string, unknown> | undefined;
}

/** One line of the audit log, as listed. */
export interface AuditEntry {
  /** Increases with every entry; `list({after: seq})` pages backwards from it. */
  seq: number;
  /** When, in unix milliseconds. */
  at: number;
  key_id: string | null;
  owner: string | null;
  role: Role | null;
  action: string;
  target: string | null;
  result: AuditResult;
  status: number | null;
  client: string | null;
  details: Record<string, unknown> | null;
}

export interface AuditQuery {
  /** At most this many entries (1 to 1000, default 50). */
  limit?: number | undefined;
  /** Only entries older than the one with this `seq` (the last of the previous page). */
  after?: number | undefined;
  owner?: string | undefined;
  keyId?: string | undefined;
  /** An action (`keys.create`) or a family of them (`keys` matches `keys.create`, `keys.revoke`). */
  action?: string | undefined;
}

interface Row {
  seq: number;
  at_ms: number;
  key_id: string | null;
  owner: string | null;
  role: Role | null;
  action: string;
  target: string | null;
  result: AuditResult;
  status: number | null;
  client: string | null;
  details_json: string | null;
}

const Details = z.record(z.string(), z.unknown());
const MAX_DETAILS = 4096;
const MAX_TEXT = 300;
/** A plaintext key must never reach the log, even by mistake in `details` or `target`. */
const scrub = (s: string) => s.replace(/tailor-sk-[0-9a-f]{7,}/g, "tailor-sk-[redacted]");
const text = (s: string | null | undefined) =>
  s === null || s === undefined ? null : scrub(s).slice(0, MAX_TEXT);

function detailsJson(details: Record<string, unknown> | undefined): string | null {
  if (details === undefined) return null;
  const json = scrub(JSON.stringify(details));
  return json.length <= MAX_DETAILS
    ? json
    : JSON.stringify({ truncated: true, bytes: json.length });
}

function fromRow(r: Row): AuditEntry {
  const { at_ms, details_json, ...rest } = r;
  const details = details_json === null ? null : Details.safeParse(JSON.parse(details_json));
  return { ...rest, at: at_ms, details: details?.success ? details.data : null };
}

/** An append-only record of who did what through the API and the CLI, in TAILOR_HOME/tailor.db. */
export class AuditLog {
  private readonly now: () => number;

  constructor(
    readonly db: SqlDb,
    opts: { now?: () => number } = {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  append(e: AuditInput): AuditEntry {
    if (!(AUDIT_RESULTS as readonly string[]).includes(e.result) || e.action.trim() === "") {
      throw new TailorError({
        code: "invalid_argument",
        message: `an audit entry needs an action and a result of ${AUDIT_RESULTS.join(", ")}; got action '${e.action}', result '${e.result}'`,
      });
    }
    const row = this.db
      .prepare(
        `INSERT INTO audit_log (at_ms, key_id, owner, role, action, target, result, status, client, details_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      )
      .get(
        this.now(),
        e.keyId,
        text(e.owner),
        e.role,
        text(e.action),
        text(e.target),
        e.result,
        e.status ?? null,
        text(e.client),
        detailsJson(e.details),
      );
    return fromRow(row as Row);
  }

  /** Newest first. */
  list(q: AuditQuery = {}): AuditEntry[] {
    const limit = q.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new TailorError({
        code: "invalid_argument",
        message: `limit must be a whole number from 1 to 1000, got ${limit}`,
        details: { field: "limit" },
      });
    }
    const rows = this.db
      .prepare(
        `SELECT * FROM audit_log
         WHERE (CAST(@after AS BIGINT) IS NULL OR seq < @after)
           AND (CAST(@owner AS TEXT) IS NULL OR owner = @owner)
           AND (CAST(@key AS TEXT) IS NULL OR key_id = @key)
           AND (CAST(@action AS TEXT) IS NULL OR action = @action
                OR substr(action, 1, length(@action) + 1) = @action || '.')
         ORDER BY seq DESC LIMIT @limit`,
      )
      .all({
        after: q.after ?? null,
        owner: q.owner ?? null,
        key: q.keyId ?? null,
        action: q.action ?? null,
        limit,
      }) as Row[];
    return rows.map(fromRow);
  }
}
