/**
 * Model names (`support`) and their versions: one version answers at a time; promote and roll
 * back, every change recorded with who and why in `model_name_events`, in the same transaction as
 * the change. A version is a model id (a fine-tuned model or a base), never another name; deleting
 * a name deletes the name and its history, never the models.
 */
import {
  GateDecision,
  type ModelName,
  type ModelNameEvent,
  type ModelVersion,
} from "../../../protocol/versions.ts";
import { TailorError } from "../../errors/index.ts";
import type { SqlDb } from "../../store/sql.ts";
import {
  answeredStack,
  checkName,
  checkRetention,
  checkWhy,
  type EventRow,
  invalid,
  type NameRow,
  nameNotFound,
  parseNameRef,
  type VersionRow,
  versionView,
} from "./rows.ts";

/** What the store needs to know of models: whether an id is one (so a name never hides a model). */
export interface NamedModels {
  exists(id: string): boolean;
}

/** A name (or `name@vN`) resolved to the model that answers for it. */
export interface NameResolution {
  name: string;
  owner: string;
  version: number;
  model: string;
  /** Whether a version was asked for (`support@v2`) rather than the current one. */
  pinned: boolean;
}

export interface StorageSettings {
  storeCompletions?: boolean | undefined;
  /** 1 to 3650 days (30 unless given). */
  retentionDays?: number | undefined;
}

const now = () => Math.floor(Date.now() / 1000);

export class ModelNames {
  constructor(
    readonly db: SqlDb,
    /** Without it, names are not checked against model ids (tests of the store alone). */
    readonly modelIds?: NamedModels,
  ) {}

  /** A new name at version 1 = `model` (with its storage settings, in the same transaction). */
  create(
    name: string,
    owner: string,
    model: string,
    who: string,
    why: string,
    storage: StorageSettings = {},
  ): ModelName {
    const n = checkName(name);
    const w = checkWhy(why);
    this.checkModel(model);
    const days = storage.retentionDays === undefined ? 30 : checkRetention(storage.retentionDays);
    if (this.modelIds?.exists(n))
      throw new TailorError({
        code: "conflict",
        message: `'${n}' is already a model's id; a name may not hide a model, choose another name`,
        details: { field: "name" },
      });
    const t = now();
    this.db
      .transaction(() => {
        if (this.#row(n))
          throw new TailorError({
            code: "conflict",
            message: `the model name '${n}' is taken; choose another, or add a version to yours with \`tailor models name ${n} MODEL\``,
            details: { field: "name" },
          });
        this.db
          .prepare(
            `INSERT INTO model_names (name, owner, created_at, current, store_completions, retention_days)
             VALUES (?, ?, ?, 1, ?, ?)`,
          )
          .run(n, owner, t, storage.storeCompletions ? 1 : 0, days);
        this.#insertVersion(n, 1, model, t, who, "added", null, null);
        this.#event(n, "create", null, 1, who, w, t);
      })
      .immediate();
    return this.get(n);
  }

  /** Adds a version (not promoted unless `promote`); its number. */
  add(
    name: string,
    model: string,
    opts: {
      who: string;
      why: string;
      origin: ModelVersion["origin"];
      jobId?: string | null;
      gate?: GateDecision | null;
      promote?: boolean;
    },
  ): ModelVersion {
    const w = checkWhy(opts.why);
    this.checkModel(model);
    const gate = opts.gate ? GateDecision.parse(opts.gate) : null;
    const t = now();
    const version = this.db
      .transaction(() => {
        const row = this.#need(name);
        const last = this.db
          .prepare("SELECT MAX(version) AS v FROM model_name_versions WHERE name = ?")
          .get(name) as { v: number | null };
        const v = (last.v ?? 0) + 1;
        const origin = opts.origin;
        this.#insertVersion(name, v, model, t, opts.who, origin, opts.jobId ?? null, gate);
        this.#event(name, "add", null, v, opts.who, w, t);
        if (opts.promote) {
          this.db.prepare("UPDATE model_names SET current = ? WHERE name = ?").run(v, name);
          this.#event(name, "promote", row.current, v, opts.who, w, t);
        }
        return v;
      })
      .immediate();
    return this.version(name, version);
  }

  promote(name: string, version: number, who: string, why: string): ModelName {
    const w = checkWhy(why);
    this.db
      .transaction(() => {
        const row = this.#need(name);
        this.version(name, version); // an unknown version is refused with the ones there are
        if (row.current === version)
          throw new TailorError({
            code: "conflict",
            message: `${name} v${version} is already the version answering; nothing to promote`,
            details: { field: "version" },
          });
        this.db.prepare("UPDATE model_names SET current = ? WHERE name = ?").run(version, name);
        this.#event(name, "promote", row.current, version, who, w, now());
      })
      .immediate();
    return this.get(name);
  }

  /** Back to the version that answered before the current one. */
  rollback(name: string, who: string, why: string): ModelName {
    const w = checkWhy(why);
    this.db
      .transaction(() => {
        const row = this.#need(name);
        const stack = answeredStack(this.events(name));
        const to = stack[stack.length - 2];
        if (to === undefined) {
          const moved = this.events(name).some(
            (e) => e.action === "promote" || e.action === "rollback",
          );
          throw new TailorError({
            code: "conflict",
            message: !moved
              ? `${name} has answered with v${row.current} only; there is no earlier version to roll back to`
              : `${name} v${row.current} is the first version that answered; there is no earlier one to roll back to (promote one instead: tailor models promote ${name} vN)`,
            details: { field: "name" },
          });
        }
        this.db.prepare("UPDATE model_names SET current = ? WHERE name = ?").run(to, name);
        this.#event(name, "rollback", row.current, to, who, w, now());
      })
      .immediate();
    return this.get(name);
  }

  find(name: string): ModelName | null {
    const row = this.#row(name);
    return row ? this.#view(row) : null;
  }

  /** The name, or a not_found TailorError. */
  get(name: string): ModelName {
    return this.#view(this.#need(name));
  }

  /** Every owner's when `owner` is undefined; by name. */
  list(owner: string | undefined): ModelName[] {
    const rows = this.db
      .prepare("SELECT * FROM model_names WHERE (@all = 1 OR owner = @owner) ORDER BY name")
      .all({ all: owner === undefined ? 1 : 0, owner: owner ?? null }) as NameRow[];
    return rows.map((r) => this.#view(r));
  }

  /** The name's history, oldest first. */
  events(name: string): ModelNameEvent[] {
    return this.db
      .prepare("SELECT * FROM model_name_events WHERE name = ? ORDER BY seq")
      .all(name) as EventRow[];
  }

  /** One version of a name, or a not_found TailorError that lists the versions there are. */
  version(name: string, version: number): ModelVersion {
    this.#need(name);
    const row = this.db
      .prepare("SELECT * FROM model_name_versions WHERE name = ? AND version = ?")
      .get(name, version) as VersionRow | undefined;
    if (!row) {
      const have = this.#versions(name).map((v) => `v${v.version}`);
      throw new TailorError({
        code: "not_found",
        message: `${name} has no v${version}; it has ${have.join(", ")}`,
        details: { field: "version" },
      });
    }
    return versionView(row);
  }

  /** Records a refused promotion (a gate that said no), for the history. */
  refused(name: string, who: string, why: string, version?: number): void {
    const w = checkWhy(why);
    this.db
      .transaction(() => {
        const row = this.#need(name);
        if (version !== undefined) this.version(name, version);
        this.#event(name, "refused", row.current, version ?? null, who, w, now());
      })
      .immediate();
  }

  /** Whether chat completions to the name are kept for feedback, and for how many days. */
  setStorage(name: string, opts: StorageSettings): ModelName {
    const days = opts.retentionDays === undefined ? undefined : checkRetention(opts.retentionDays);
    this.db
      .transaction(() => {
        this.#need(name);
        if (opts.storeCompletions !== undefined)
          this.db
            .prepare("UPDATE model_names SET store_completions = ? WHERE name = ?")
            .run(opts.storeCompletions ? 1 : 0, name);
        if (days !== undefined)
          this.db
            .prepare("UPDATE model_names SET retention_days = ? WHERE name = ?")
            .run(days, name);
      })
      .immediate();
    return this.get(name);
  }

  /** Deletes the name, its versions and its history; the models it pointed at stay. */
  delete(name: string): void {
    this.db
      .transaction(() => {
        this.#need(name);
        this.db.prepare("DELETE FROM model_names WHERE name = ?").run(name); // versions cascade
        this.db.prepare("DELETE FROM model_name_events WHERE name = ?").run(name);
      })
      .immediate();
  }

  /**
   * `support` (its current version) or `support@v2` (that version) as the model that answers;
   * null when `ref` is no name. An unknown version of a known name is a not_found error.
   */
  resolve(ref: string): NameResolution | null {
    const parsed = parseNameRef(ref);
    if (!parsed) return null;
    const row = this.#row(parsed.name);
    if (!row) return null;
    const v = this.version(row.name, parsed.version ?? row.current);
    return {
      name: row.name,
      owner: row.owner,
      version: v.version,
      model: v.model,
      pinned: parsed.version !== null,
    };
  }

  /** Every model a name's versions point at (for retraining and the health report). */
  models(name: string): string[] {
    this.#need(name);
    return [...new Set(this.#versions(name).map((v) => v.model))];
  }

  /** Refuses what cannot be a version: nothing, a name (or name@vN), an unknown model. */
  checkModel(model: string): void {
    if (model.trim().length === 0)
      throw invalid("model", "give the model this version answers with");
    if (this.#row(model) || (parseNameRef(model)?.version ?? null) !== null)
      throw invalid(
        "model",
        `'${model}' is a model name, not a model; give the model id it should answer with (tailor models versions ${model.split("@")[0]} shows them)`,
      );
    if (this.modelIds && !this.modelIds.exists(model))
      throw new TailorError({
        code: "model_not_found",
        message: `the model '${model}' does not exist; \`tailor models list\` shows the models there are`,
        details: { field: "model" },
      });
  }

  #row(name: string): NameRow | undefined {
    return this.db.prepare("SELECT * FROM model_names WHERE name = ?").get(name) as
      | NameRow
      | undefined;
  }

  #need(name: string): NameRow {
    const row = this.#row(name);
    if (!row) throw nameNotFound(name);
    return row;
  }

  #versions(name: string): ModelVersion[] {
    const rows = this.db
      .prepare("SELECT * FROM model_name_versions WHERE name = ? ORDER BY version")
      .all(name) as VersionRow[];
    return rows.map(versionView);
  }

  #view(row: NameRow): ModelName {
    const versions = this.#versions(row.name);
    return {
      name: row.name,
      object: "model_name",
      owner: row.owner,
      created_at: row.created_at,
      current: row.current,
      current_model: versions.find((v) => v.version === row.current)?.model ?? "",
      versions,
      store_completions: row.store_completions === 1,
      retention_days: row.retention_days,
    };
  }

  #insertVersion(
    name: string,
    version: number,
    model: string,
    at: number,
    who: string,
    origin: ModelVersion["origin"],
    jobId: string | null,
    gate: GateDecision | null,
  ): void {
    this.db
      .prepare(
        `INSERT INTO model_name_versions (name, version, model, added_at, added_by, origin, job_id, gate_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(name, version, model, at, who, origin, jobId, gate ? JSON.stringify(gate) : null);
  }

  #event(
    name: string,
    action: ModelNameEvent["action"],
    from: number | null,
    to: number | null,
    who: string,
    why: string,
    at: number,
  ): void {
    this.db
      .prepare(
        `INSERT INTO model_name_events (name, action, from_version, to_version, who, why, at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(name, action, from, to, who, why, at);
  }
}
