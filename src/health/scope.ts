/**
 * What a health report covers: a model name covers every version it has had (and requests made to
 * the name itself); a model id covers the answers that model gave, asked by its id or through a
 * name. Rows are matched as SQL conditions on the tables' model columns.
 */
import type { ModelName } from "../../protocol/versions.ts";

/** What the report needs of model names (src/models/names' ModelNames has this shape). */
export interface NameLookup {
  find(name: string): ModelName | null;
  list(owner: string | undefined): ModelName[];
}

export interface Scope {
  /** As asked: the name or the model id. */
  ref: string;
  kind: "name" | "model";
  /** The model ids covered (a name's versions, the current one first). */
  models: string[];
  /** The model whose drift threshold the report shows (a name's current version). */
  primary: string;
  /** The name's owner (null for a model id: its owner is the model registry's business). */
  owner: string | null;
  /** The condition on `model` (as asked) and `resolved_model` columns, and its parameters. */
  sql: string;
  params: string[];
  /** The condition on a table with only the model as asked (moderation flags), and its parameters. */
  askedSql: string;
  askedParams: string[];
}

/** `IN (?, ?, ...)` for `n` values (SQL both SQLite and Postgres run). */
const inList = (n: number) => `IN (${Array.from({ length: n }, () => "?").join(", ")})`;

export function nameScope(n: ModelName): Scope {
  const models = [
    n.current_model,
    ...[...n.versions]
      .sort((a, b) => b.version - a.version)
      .map((v) => v.model)
      .filter((m) => m !== n.current_model),
  ].filter((m, i, all) => all.indexOf(m) === i);
  return {
    ref: n.name,
    kind: "name",
    models,
    primary: n.current_model,
    owner: n.owner,
    sql: `(model = ? OR resolved_model ${inList(models.length)})`,
    params: [n.name, ...models],
    askedSql: `model ${inList(models.length + 1)}`,
    askedParams: [n.name, ...models],
  };
}

export function modelScope(id: string): Scope {
  return {
    ref: id,
    kind: "model",
    models: [id],
    primary: id,
    owner: null,
    sql: "resolved_model = ?",
    params: [id],
    askedSql: "model = ?",
    askedParams: [id],
  };
}

/** The model id `ref` if there is such a model (an id always wins over a name, as in serving), else a name if `ref` is one, else the model id `ref`. */
export function scopeOf(names: NameLookup, ref: string, isModel: (id: string) => boolean): Scope {
  const n = isModel(ref) ? null : names.find(ref);
  return n ? nameScope(n) : modelScope(ref);
}

/** The names a model id is a version of (for the retrain hint of a report on the id). */
export function namesOf(names: NameLookup, model: string): string[] {
  return names
    .list(undefined)
    .filter((n) => n.versions.some((v) => v.model === model))
    .map((n) => n.name);
}
