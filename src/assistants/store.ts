/**
 * Assistants in TAILOR_HOME's database: each change a new version (its settings checked, secret
 * header values sealed), the publication on the assistant's row (slug, access, passcode hash,
 * visitor rate). Read back, secret values are null; `runtime` opens them for the runner.
 */
import {
  type Assistant,
  type AssistantSettingsInput,
  type AssistantVersion,
  type Publication,
  PublishInput,
  type ShareAccess,
} from "../../protocol/assistants.ts";
import { TailorError } from "../errors/index.ts";
import { isPostgres, type SqlDb } from "../store/sql.ts";
import { checkSettings, fieldOf, functionHosts, type SettingsDeps } from "./check.ts";
import { hashPasscode, newAssistantId, newSlug, passcodeMatches } from "./publication.ts";
import type { SecretBox } from "./secrets.ts";
import {
  readStored,
  runtimeSettings,
  type StoredSettings,
  sealSettings,
  viewSettings,
} from "./stored-settings.ts";
import type { RuntimeAssistant } from "./types.ts";

interface Row {
  id: string;
  owner: string;
  created_at: number;
  updated_at: number;
  version: number;
  published: number;
  slug: string | null;
  access: ShareAccess;
  passcode_hash: string | null;
  visitor_rpm: number;
  published_at: number | null;
  settings_json: string;
}

interface VersionRow {
  assistant_id: string;
  version: number;
  created_at: number;
  author: string;
  settings_json: string;
}

const now = () => Math.floor(Date.now() / 1000);
const SELECT = `SELECT a.*, v.settings_json FROM assistants a
  JOIN assistant_versions v ON v.assistant_id = a.id AND v.version = a.version`;

const sameSet = (a: string[], b: string[]) =>
  a.length === b.length && a.every((x) => b.includes(x));

export class AssistantStore {
  constructor(
    readonly db: SqlDb,
    readonly secrets: SecretBox,
  ) {}

  /**
   * A new assistant at version 1, owned by `owner`; `author` is the key id. The settings are
   * checked (checkSettings; with `deps`, the model, policy and vector stores too).
   */
  create(
    owner: string,
    author: string,
    input: AssistantSettingsInput,
    deps?: SettingsDeps,
  ): Assistant {
    const stored = sealSettings(checkSettings(input, deps), null, this.secrets);
    const id = newAssistantId();
    const t = now();
    this.db.transaction(() => {
      this.db
        .prepare(
          "INSERT INTO assistants (id, owner, created_at, updated_at, version) VALUES (?, ?, ?, ?, 1)",
        )
        .run(id, owner, t, t);
      this.#insertVersion(id, 1, t, author, stored);
    })();
    return this.get(id);
  }

  /**
   * Merges the given top-level settings into the current ones: a new version. A secret header sent
   * back with `value: null` keeps its stored value. Allowed hosts that are exactly the functions'
   * own hosts follow the functions unless the patch gives other ones.
   */
  update(
    id: string,
    author: string,
    patch: Partial<AssistantSettingsInput>,
    deps?: SettingsDeps,
  ): Assistant {
    this.db
      .transaction(() => {
        const row = this.#row(id, true);
        const current = readStored(row.settings_json, `assistant ${id} v${row.version}`);
        const given = Object.fromEntries(
          Object.entries(patch).filter(([, v]) => v !== undefined),
        ) as Partial<AssistantSettingsInput>;
        const merged: AssistantSettingsInput = { ...viewSettings(current), ...given };
        // hosts that are exactly the functions' own are the default: they follow the functions
        // (also when sent back unchanged, as a client that echoes the settings does)
        const followed = sameSet(current.allowed_hosts, functionHosts(current));
        const echoed = given.allowed_hosts?.map((h) => h.trim().toLowerCase());
        if (followed && (echoed === undefined || sameSet(echoed, current.allowed_hosts)))
          merged.allowed_hosts = [];
        const stored = sealSettings(checkSettings(merged, deps), current, this.secrets);
        const version = row.version + 1;
        const t = now();
        this.#insertVersion(id, version, t, author, stored);
        this.db
          .prepare("UPDATE assistants SET version = ?, updated_at = ? WHERE id = ?")
          .run(version, t, id);
      })
      .immediate();
    return this.get(id);
  }

  /** The assistant, or a not_found TailorError. */
  get(id: string): Assistant {
    return this.#view(this.#row(id));
  }

  find(id: string): Assistant | null {
    const row = this.db.prepare(`${SELECT} WHERE a.id = ?`).get(id) as Row | undefined;
    return row ? this.#view(row) : null;
  }

  /** Newest first; every owner's when `owner` is undefined. */
  list(owner: string | undefined): Assistant[] {
    const rows = this.db
      .prepare(
        `${SELECT} WHERE (@all = 1 OR a.owner = @owner) ORDER BY a.created_at DESC, a.rowid DESC`,
      )
      .all({ all: owner === undefined ? 1 : 0, owner: owner ?? null }) as Row[];
    return rows.map((r) => this.#view(r));
  }

  /** Deletes the assistant, its versions and its conversations (their rows cascade). */
  delete(id: string): void {
    const { changes } = this.db.prepare("DELETE FROM assistants WHERE id = ?").run(id);
    if (changes === 0) throw notFound(id);
  }

  /** Every version, newest first. */
  versions(id: string): AssistantVersion[] {
    this.#row(id);
    const rows = this.db
      .prepare("SELECT * FROM assistant_versions WHERE assistant_id = ? ORDER BY version DESC")
      .all(id) as VersionRow[];
    return rows.map((r) => this.#version(r));
  }

  /** One version, or a not_found TailorError naming it. */
  version(id: string, version: number): AssistantVersion {
    return this.#version(this.#versionRow(id, version));
  }

  /** One version (the current one when `version` is undefined) with its secrets opened. */
  runtime(id: string, version?: number): RuntimeAssistant {
    const row = this.#row(id);
    const v = this.#versionRow(id, version ?? row.version);
    const stored = readStored(v.settings_json, `assistant ${id} v${v.version}`);
    return {
      id,
      owner: row.owner,
      version: v.version,
      settings: runtimeSettings(stored, this.secrets),
    };
  }

  /**
   * Publishes the assistant at `/a/<slug>` (the slug given, the one it had, or one made from its
   * name). Access "passcode" needs a passcode unless one is kept from before; other access forgets it.
   */
  publish(id: string, input: PublishInput): Assistant {
    const parsed = PublishInput.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = fieldOf(issue?.path ?? []);
      throw invalid(field, issue?.message ?? "not a publication");
    }
    const p = parsed.data;
    const row = this.#row(id);
    if (p.passcode !== undefined && p.access !== "passcode")
      throw invalid("passcode", `is only for access "passcode" (access is "${p.access}")`);
    let hash: string | null = null;
    if (p.access === "passcode") {
      hash = p.passcode !== undefined ? hashPasscode(p.passcode) : row.passcode_hash;
      if (hash === null)
        throw invalid("passcode", 'access "passcode" needs a passcode (4 characters or more)');
    }
    this.db
      .transaction(() => {
        const slug = p.slug ?? row.slug ?? this.#freeSlug(this.get(id).settings.name);
        const taken = this.db
          .prepare("SELECT id FROM assistants WHERE slug = ? AND id != ?")
          .get(slug, id);
        if (taken)
          throw new TailorError({
            code: "conflict",
            message: `slug: "${slug}" is taken by another assistant; pick another slug, or leave it out to get one made from the name`,
            details: { field: "slug" },
          });
        const t = now();
        this.db
          .prepare(
            `UPDATE assistants SET published = 1, slug = ?, access = ?, passcode_hash = ?, visitor_rpm = ?,
             published_at = ?, updated_at = ? WHERE id = ?`,
          )
          .run(slug, p.access, hash, p.visitor_requests_per_minute, t, t, id);
      })
      .immediate();
    return this.get(id);
  }

  /** Takes the share page down at once (the slug stays reserved for publishing again). */
  unpublish(id: string): Assistant {
    this.#row(id);
    this.db
      .prepare(
        "UPDATE assistants SET published = 0, published_at = NULL, updated_at = ? WHERE id = ?",
      )
      .run(now(), id);
    return this.get(id);
  }

  /** The published assistant at `/a/<slug>`, or null (unknown or unpublished). */
  bySlug(slug: string): Assistant | null {
    const row = this.db.prepare(`${SELECT} WHERE a.slug = ? AND a.published = 1`).get(slug) as
      | Row
      | undefined;
    return row ? this.#view(row) : null;
  }

  /** Whether `passcode` opens the assistant's page (constant-time against the stored hash). */
  checkPasscode(id: string, passcode: string): boolean {
    const row = this.db.prepare("SELECT passcode_hash FROM assistants WHERE id = ?").get(id) as
      | { passcode_hash: string | null }
      | undefined;
    if (!row?.passcode_hash) return false;
    return passcodeMatches(row.passcode_hash, passcode);
  }

  #freeSlug(name: string): string {
    const taken = this.db.prepare("SELECT 1 FROM assistants WHERE slug = ?");
    for (;;) {
      const slug = newSlug(name);
      if (!taken.get(slug)) return slug;
    }
  }

  /** `lock`: in a transaction, holds the row until it ends (Postgres; SQLite's immediate does it). */
  #row(id: string, lock = false): Row {
    const forUpdate = lock && isPostgres(this.db) ? " FOR UPDATE OF a" : "";
    const row = this.db.prepare(`${SELECT} WHERE a.id = ?${forUpdate}`).get(id) as Row | undefined;
    if (!row) throw notFound(id);
    return row;
  }

  #versionRow(id: string, version: number): VersionRow {
    const row = this.db
      .prepare("SELECT * FROM assistant_versions WHERE assistant_id = ? AND version = ?")
      .get(id, version) as VersionRow | undefined;
    if (row) return row;
    this.#row(id);
    throw new TailorError({
      code: "not_found",
      message: `assistant ${id} has no version ${version}`,
      details: { field: "version" },
    });
  }

  #insertVersion(id: string, version: number, t: number, author: string, s: StoredSettings): void {
    this.db
      .prepare(
        "INSERT INTO assistant_versions (assistant_id, version, created_at, author, settings_json) VALUES (?, ?, ?, ?, ?)",
      )
      .run(id, version, t, author, JSON.stringify(s));
  }

  #view(r: Row): Assistant {
    const settings = viewSettings(readStored(r.settings_json, `assistant ${r.id} v${r.version}`));
    const publication: Publication = {
      published: r.published === 1,
      slug: r.slug,
      access: r.access,
      visitor_requests_per_minute: r.visitor_rpm,
      published_at: r.published_at,
    };
    return {
      id: r.id,
      object: "assistant",
      created_at: r.created_at,
      updated_at: r.updated_at,
      owner: r.owner,
      version: r.version,
      settings,
      publication,
    };
  }

  #version(r: VersionRow): AssistantVersion {
    const stored = readStored(r.settings_json, `assistant ${r.assistant_id} v${r.version}`);
    return {
      assistant_id: r.assistant_id,
      version: r.version,
      created_at: r.created_at,
      author: r.author,
      settings: viewSettings(stored),
    };
  }
}

const notFound = (id: string) =>
  new TailorError({
    code: "not_found",
    message: `no assistant ${id}`,
    details: { field: "assistant_id" },
  });

const invalid = (field: string, message: string) =>
  new TailorError({
    code: "invalid_argument",
    message: `${field}: ${message}`,
    details: { field },
  });
