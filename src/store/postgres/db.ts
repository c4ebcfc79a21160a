/**
 * A Postgres server behind the storage interface (../sql.ts): the same prepared statements and
 * transactions the SQLite stores use, so the domain code runs unchanged. The calls are synchronous,
 * as better-sqlite3's are: each goes to a worker thread that holds the connection (pg, the maintained
 * client) and the caller waits for its answer (synckit). A transaction is BEGIN ... COMMIT on that one
 * connection; nested ones are savepoints.
 */
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createSyncFn } from "synckit";
import { TailorError } from "../../errors/index.ts";
import type { SqlDb, SqlStatement, SqlTransaction } from "../sql.ts";

type Op =
  | { kind: "connect"; id: string; url: string }
  | { kind: "query"; id: string; text: string; values: unknown[] }
  | { kind: "close"; id: string };
type Answer = { rows: Record<string, unknown>[]; rowCount: number } | null;

const WORKER = fileURLToPath(new URL("./sync-worker.mjs", import.meta.url));
let call: ((op: Op) => Answer) | null = null;
const send = (op: Op): Answer => {
  call ??= createSyncFn(WORKER) as (op: Op) => Answer;
  return call(op);
};

/** A statement's text for Postgres: `?` and `@name` (outside quotes) become $1, $2, ... */
export function translate(sql: string): { text: string; params: (number | string)[] } {
  const params: (number | string)[] = [];
  const named = new Map<string, number>();
  let text = "";
  let quote: string | null = null;
  let positional = 0;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i] as string;
    if (quote) {
      text += ch;
      if (ch === quote) quote = null;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      text += ch;
    } else if (ch === "?") {
      params.push(positional++);
      text += `$${params.length}`;
    } else if (ch === "@" && /[A-Za-z_]/.test(sql[i + 1] ?? "")) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1))?.[0] ?? "";
      i += name.length;
      let n = named.get(name);
      if (n === undefined) {
        params.push(name);
        n = params.length;
        named.set(name, n);
      }
      text += `$${n}`;
    } else text += ch;
  }
  return { text, params };
}

/** The values of a statement's parameters, from positional arguments or one object of named ones. */
function bind(params: (number | string)[], args: unknown[]): unknown[] {
  const byName = (args[0] ?? {}) as Record<string, unknown>;
  return params.map((p) => (typeof p === "number" ? args[p] : byName[p]) ?? null);
}

export class PostgresDb implements SqlDb {
  readonly dialect = "postgres" as const;
  private readonly id = randomUUID();
  private depth = 0;
  private closed = false;

  constructor(readonly url: string) {
    try {
      send({ kind: "connect", id: this.id, url });
    } catch (e) {
      throw new TailorError({
        code: "internal",
        message: `could not connect to Postgres at ${redact(url)}: ${(e as Error).message}. Check TAILOR_DATABASE_URL and that the server is running.`,
      });
    }
  }

  query(
    text: string,
    values: unknown[] = [],
  ): { rows: Record<string, unknown>[]; rowCount: number } {
    if (this.closed) throw new Error("the Postgres connection is closed");
    let answer: NonNullable<Answer>;
    try {
      answer = send({ kind: "query", id: this.id, text, values }) ?? { rows: [], rowCount: 0 };
    } catch (e) {
      // a unique key two writers took at the same moment (SQLite's write lock orders them instead):
      // the second is told, as a conflict, and nothing of its write is kept
      const { code, detail } = e as { code?: string; detail?: string };
      if (code === "23505")
        throw new TailorError({
          code: "conflict",
          message: `${detail ?? (e as Error).message}: another request wrote the same at the same moment; try again`,
        });
      throw e;
    }
    // BYTEA comes back across the thread as a Uint8Array; better-sqlite3 gives a BLOB as a Buffer
    for (const row of answer.rows)
      for (const [k, v] of Object.entries(row))
        if (v instanceof Uint8Array && !Buffer.isBuffer(v)) row[k] = Buffer.from(v);
    return answer;
  }

  prepare(sql: string): SqlStatement {
    const { text, params } = translate(sql);
    return {
      get: (...args) => this.query(text, bind(params, args)).rows[0],
      all: (...args) => this.query(text, bind(params, args)).rows,
      run: (...args) => ({ changes: this.query(text, bind(params, args)).rowCount }),
    };
  }

  // biome-ignore lint/suspicious/noExplicitAny: as in SqlDb
  transaction<F extends (...args: any[]) => unknown>(fn: F): SqlTransaction<F> {
    const run = (...args: unknown[]): ReturnType<F> => {
      const savepoint = this.depth > 0 ? `tailor_sp_${this.depth}` : null;
      this.query(savepoint ? `SAVEPOINT ${savepoint}` : "BEGIN");
      this.depth++;
      try {
        const result = fn(...args) as ReturnType<F>;
        this.depth--;
        this.query(savepoint ? `RELEASE SAVEPOINT ${savepoint}` : "COMMIT");
        return result;
      } catch (e) {
        this.depth--;
        this.query(savepoint ? `ROLLBACK TO SAVEPOINT ${savepoint}` : "ROLLBACK");
        throw e;
      }
    };
    // row locks (FOR UPDATE) do in Postgres what SQLite's immediate write lock does
    return Object.assign(run, { immediate: run });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    send({ kind: "close", id: this.id });
  }
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(not a URL)";
  }
}
