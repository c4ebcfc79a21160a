/**
 * The model names' rows as read from the store (SQLite or Postgres), turned into the protocol's
 * objects; the name's rules (what a name may be); and the versions that answered in turn, read back
 * from the events, which is what a rollback goes back along.
 */
import {
  GateDecision,
  type ModelNameEvent,
  ModelNameString,
  type ModelVersion,
} from "../../../protocol/versions.ts";
import { TailorError } from "../../errors/index.ts";

export interface NameRow {
  name: string;
  owner: string;
  created_at: number;
  current: number;
  store_completions: number;
  retention_days: number;
}

export interface VersionRow {
  name: string;
  version: number;
  model: string;
  added_at: number;
  added_by: string;
  origin: string;
  job_id: string | null;
  gate_json: string | null;
}

export type EventRow = ModelNameEvent;

export const invalid = (field: string, message: string) =>
  new TailorError({ code: "invalid_argument", message, details: { field } });

export const nameNotFound = (name: string) =>
  new TailorError({
    code: "not_found",
    message: `no model name '${name}'; \`tailor models names\` or GET /v1/model_names lists yours`,
    details: { field: "name" },
  });

/** A name as users may give one: the protocol's pattern, and not a fine-tuned model's or an assistant's id. */
export function checkName(name: string): string {
  if (name.startsWith("ft:") || name.startsWith("asst_"))
    throw invalid(
      "name",
      `'${name}' looks like a ${name.startsWith("ft:") ? "fine-tuned model id (ft:…)" : "assistant id (asst_…)"}; choose a plain name such as 'support'`,
    );
  const parsed = ModelNameString.safeParse(name);
  if (!parsed.success)
    throw invalid(
      "name",
      `'${name}' is not a model name: use lowercase letters, digits, - and _, starting with a letter (at most 63 characters), such as 'support'`,
    );
  return parsed.data;
}

export function checkWhy(why: string, field = "why"): string {
  const w = why.trim();
  if (w.length === 0)
    throw invalid(field, "say why in a sentence: it is kept in the name's history and audit log");
  if (w.length > 1000) throw invalid(field, "is too long: say why in at most 1000 characters");
  return w;
}

export function checkRetention(days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > 3650)
    throw invalid("retention_days", `must be a whole number of days from 1 to 3650 (got ${days})`);
  return days;
}

export function versionView(r: VersionRow): ModelVersion {
  let gate: GateDecision | null = null;
  if (r.gate_json !== null) {
    const parsed = GateDecision.safeParse(JSON.parse(r.gate_json));
    gate = parsed.success ? parsed.data : null; // written checked; a row edited by hand reads as none
  }
  return {
    version: r.version,
    model: r.model,
    added_at: r.added_at,
    added_by: r.added_by,
    origin: r.origin === "retrain" ? "retrain" : "added",
    job_id: r.job_id,
    gate,
  };
}

/**
 * The versions that answered, in the order they were made current, less those rolled back: a
 * promote pushes, a rollback pops. The last is the current version; the one before it is where a
 * rollback goes.
 */
export function answeredStack(events: EventRow[]): number[] {
  const stack: number[] = [];
  for (const e of events) {
    if (e.to_version === null) continue;
    if (e.action === "create" || e.action === "promote") stack.push(e.to_version);
    else if (e.action === "rollback") {
      stack.pop();
      if (stack[stack.length - 1] !== e.to_version) stack.push(e.to_version); // never happens unless edited
    }
  }
  return stack;
}

/** `support@v2` (a pinned version) or `support`: the name and the version asked for. */
export function parseNameRef(ref: string): { name: string; version: number | null } | null {
  const m = /^([a-z][a-z0-9_-]{0,62})(?:@v([1-9][0-9]{0,8}))?$/.exec(ref);
  if (!m?.[1]) return null;
  return { name: m[1], version: m[2] ? Number(m[2]) : null };
}
