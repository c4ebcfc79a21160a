import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { KEY_ROLES } from "../../protocol/index.ts";
import { TailorError } from "../errors/index.ts";
import type { SqlDb } from "../store/sql.ts";

/**
 * What a key may do, most to least: `admin` manages keys and reads the audit log as well as
 * everything a member does; `member` uploads data, trains and uses models; `viewer` reads and
 * calls models but changes nothing. The server decides which role each route needs.
 */
export const ROLES = z.enum(KEY_ROLES);
export type Role = z.infer<typeof ROLES>;

const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2 };

/** Whether a key with role `actual` may do what needs role `required` (admin ⊇ member ⊇ viewer). */
export function hasRole(actual: Role, required: Role): boolean {
  return RANK[actual] >= RANK[required];
}

/** Every plaintext key starts with this; the rest is 48 random hex characters (192 bits). */
export const KEY_PREFIX = "tailor-sk-";
const KEY_FORMAT = /^tailor-sk-[0-9a-f]{48}$/;
/** How much of the plaintext is kept to tell keys apart in lists: the prefix and 6 random chars. */
const DISPLAY_CHARS = KEY_PREFIX.length + 6;
/** last_used_at is written at most this often per key, so verifying stays a read. */
const LAST_USED_EVERY_S = 60;

/** A key as stored and listed: never its plaintext or its hash. Times are unix seconds. */
export interface ApiKey {
  id: string;
  name: string;
  owner: string;
  role: Role;
  /** The first characters of the plaintext (`tailor-sk-1a2b3c`), to recognise a key. */
  prefix: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

interface Row extends ApiKey {
  hash: string;
}

export interface CreateKeyOptions {
  name: string;
  role: Role | string;
  /** Keys with the same owner share what they own; defaults to `name`. */
  owner?: string | undefined;
}

const hashKey = (plaintext: string) => createHash("sha256").update(plaintext).digest("hex");
const COLUMNS = "id, name, owner, role, prefix, created_at, last_used_at, revoked_at";

function label(value: string | undefined, field: string): string {
  const v = value?.trim() ?? "";
  if (v.length === 0 || v.length > 100 || /[\p{Cc}]/u.test(v)) {
    throw new TailorError({
      code: "invalid_argument",
      message: `--${field} must be 1 to 100 printable characters, got '${value ?? ""}'`,
      details: { field },
    });
  }
  return v;
}

/**
 * API keys in TAILOR_HOME/tailor.db. Only a sha256 of each key is stored, so a copy of the
 * database lets nobody call the API; the plaintext is returned once, by `create`.
 */
export class KeyStore {
  private readonly nowMs: () => number;

  constructor(
    readonly db: SqlDb,
    opts: { now?: () => number } = {},
  ) {
    this.nowMs = opts.now ?? Date.now;
  }

  private now(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  /** A new key; `key` is the plaintext, which is not stored and cannot be shown again. */
  create(opts: CreateKeyOptions): { key: string; record: ApiKey } {
    const role = ROLES.safeParse(opts.role);
    if (!role.success) {
      throw new TailorError({
        code: "invalid_argument",
        message: `--role must be one of ${ROLES.options.join(", ")}, got '${opts.role}'`,
        details: { field: "role" },
      });
    }
    const name = label(opts.name, "name");
    const owner = opts.owner === undefined ? name : label(opts.owner, "owner");
    const key = `${KEY_PREFIX}${randomBytes(24).toString("hex")}`;
    const id = `key-${randomBytes(8).toString("hex")}`;
    this.db
      .prepare(
        `INSERT INTO api_keys (id, name, owner, role, hash, prefix, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, name, owner, role.data, hashKey(key), key.slice(0, DISPLAY_CHARS), this.now());
    return { key, record: this.get(id) };
  }

  find(id: string): ApiKey | null {
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM api_keys WHERE id = ?`).get(id) as
      | ApiKey
      | undefined;
    return row ?? null;
  }

  get(id: string): ApiKey {
    const key = this.find(id);
    if (!key)
      throw new TailorError({
        code: "not_found",
        message: `no API key ${id}; \`tailor keys list\` shows the keys`,
      });
    return key;
  }

  /** Oldest first, revoked ones too unless `activeOnly`. */
  list(opts: { owner?: string | undefined; activeOnly?: boolean } = {}): ApiKey[] {
    return this.db
      .prepare(
        `SELECT ${COLUMNS} FROM api_keys
         WHERE (CAST(@owner AS TEXT) IS NULL OR owner = @owner) AND (@active = 0 OR revoked_at IS NULL)
         ORDER BY created_at, id`,
      )
      .all({ owner: opts.owner ?? null, active: opts.activeOnly ? 1 : 0 }) as ApiKey[];
  }

  /** Revokes a key for good: it stops verifying at once. Revoking it again is a conflict. */
  revoke(id: string): ApiKey {
    return this.db
      .transaction(() => {
        const key = this.get(id);
        if (key.revoked_at !== null) {
          throw new TailorError({
            code: "conflict",
            message: `API key ${id} was already revoked at ${new Date(key.revoked_at * 1000).toISOString()}`,
          });
        }
        this.db.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ?").run(this.now(), id);
        return this.get(id);
      })
      .immediate();
  }

  /**
   * The key a bearer token stands for, or null when it is malformed, unknown or revoked (the
   * caller cannot tell which). Accepts the token with or without a `Bearer ` in front.
   */
  verify(token: string | null | undefined): ApiKey | null {
    const plaintext = (token ?? "").replace(/^Bearer\s+/i, "").trim();
    if (!KEY_FORMAT.test(plaintext)) return null;
    const row = this.db
      .prepare(`SELECT ${COLUMNS}, hash FROM api_keys WHERE hash = ?`)
      .get(hashKey(plaintext)) as Row | undefined;
    if (!row || row.revoked_at !== null) return null;
    const now = this.now();
    if (row.last_used_at === null || now - row.last_used_at >= LAST_USED_EVERY_S) {
      this.db.prepare("UPDATE api_keys SET last_used_at = ? WHERE id = ?").run(now, row.id);
      row.last_used_at = now;
    }
    const { hash: _hash, ...key } = row;
    return key;
  }
}
