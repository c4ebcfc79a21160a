/**
 * `tailor models name|names|versions|promote|rollback`: a model name (`support`) answers with one
 * version at a time wherever a model id is taken (chat, the API, assistants, the share page).
 * `name` makes the name, or adds a version that answers once promoted; `promote` and `rollback`
 * say why. Each change is in the name's history (who: `cli:<user>`) and in the audit log.
 */
import type { Command } from "commander";
import type { ModelName, ModelNameEvent, ModelVersion } from "../../../protocol/versions.ts";
import { TailorError } from "../../errors/index.ts";
import { classifierOf } from "../../models/index.ts";
import type { Services } from "../../services/index.ts";
import { positiveInt } from "../args.ts";
import { printJson, say, table } from "../output.ts";
import { withTailor } from "../services.ts";
import { CLI_OWNER, localUser } from "./assistants-admin.ts";

/** Who made a change from this machine, as the name's history keeps it. */
const cliWho = () => `cli:${localUser()}`;

const when = (s: number) => new Date(s * 1000).toISOString().replace("T", " ").slice(0, 16);

/** `v2` or `2` as a version number. */
export function versionArg(value: string): number {
  const m = /^v?([1-9][0-9]{0,8})$/i.exec(value.trim());
  if (!m?.[1])
    throw new TailorError({
      code: "invalid_argument",
      message: `'${value}' is not a version; write it as v2 (tailor models versions NAME lists them)`,
      details: { field: "version" },
    });
  return Number(m[1]);
}

function audit(s: Services, action: string, name: string, details: Record<string, unknown>): void {
  s.audit.append({
    keyId: null,
    owner: localUser(),
    role: "admin",
    action: `model_names.${action}`,
    target: name,
    result: "ok",
    client: "cli",
    details,
  });
}

/** A key id as its name and owner (the API records key ids); anything else as it is. */
function whoLabel(s: Services, who: string): string {
  const key = who.startsWith("key-") ? s.keys.find(who) : null;
  return key ? `${key.name} (${key.owner})` : who;
}

/** The model of a new version: one that exists here and writes answers. */
function checkModel(s: Services, model: string): void {
  s.modelNames.checkModel(model);
  const entry = s.models.get(model);
  if (entry && classifierOf(entry))
    throw new TailorError({
      code: "invalid_argument",
      message: `'${model}' is a classifier: it sorts texts into labels and writes no answers; name a base or fine-tuned chat model`,
      details: { field: "model" },
    });
}

function gateWord(v: ModelVersion): string {
  if (!v.gate) return "-";
  return v.gate.promote ? "passed" : "refused";
}

function eventLine(e: ModelNameEvent): string {
  switch (e.action) {
    case "create":
      return `made with v${e.to_version}`;
    case "add":
      return `v${e.to_version} added`;
    case "promote":
      return `promoted v${e.to_version} (was v${e.from_version})`;
    case "rollback":
      return `rolled back to v${e.to_version} (from v${e.from_version})`;
    case "refused":
      return e.to_version === null
        ? "a new version refused"
        : `v${e.to_version} refused (v${e.from_version} kept)`;
  }
}

/**
 * A model name given where a model is asked for (`support`, `support@v2`) as the model id of that
 * version, said on stderr; a model's own id (or anything else) as it is.
 */
export function modelOfName(ref: string): string {
  const r = withTailor((s) => (s.models.get(ref) ? null : s.modelNames.resolve(ref)));
  if (!r) return ref;
  process.stderr.write(`${ref} is ${r.name} v${r.version}: ${r.model}\n`);
  return r.model;
}

/** The name's versions (the current one marked), each gate's reason, then the history. */
export function renderVersions(s: Services, n: ModelName, history: ModelNameEvent[]): string {
  const out = [
    `${n.name}: v${n.current} answers (${n.current_model}); owner ${n.owner}; chat completions ${n.store_completions ? `kept ${n.retention_days} days for feedback` : "not kept unless the caller asks (store: true)"}`,
    "",
    table([
      ["", "VERSION", "MODEL", "ADDED", "BY", "ORIGIN", "GATE"],
      ...n.versions.map((v) => [
        v.version === n.current ? "*" : "",
        `v${v.version}`,
        v.model,
        when(v.added_at),
        whoLabel(s, v.added_by),
        v.origin === "retrain" ? `retrain${v.job_id ? ` ${v.job_id}` : ""}` : "added",
        gateWord(v),
      ]),
    ]),
  ];
  for (const v of n.versions.filter((x) => x.gate))
    out.push("", `v${v.version} gate: ${v.gate?.reason}`);
  out.push("", "history:");
  out.push(
    table(history.map((e) => [`  ${when(e.at)}`, eventLine(e), whoLabel(s, e.who), `"${e.why}"`])),
  );
  return out.join("\n");
}

interface NameFlags {
  why?: string;
  promote?: boolean;
  storeCompletions?: boolean;
  retentionDays?: number;
  owner?: string;
  json?: boolean;
}

/** `tailor models name`: a new name, a new version of one, or only its settings; what to say. */
function nameOrAdd(
  s: Services,
  name: string,
  model: string | undefined,
  f: NameFlags,
): { n: ModelName; said: string } {
  const storage = { storeCompletions: f.storeCompletions, retentionDays: f.retentionDays };
  const settings = Object.fromEntries(
    Object.entries({
      store_completions: f.storeCompletions,
      retention_days: f.retentionDays,
    }).filter(([, v]) => v !== undefined),
  );
  const existing = s.modelNames.find(name);
  if (model === undefined) {
    if (!existing)
      throw new TailorError({
        code: "invalid_argument",
        message: `no model name '${name}' yet; give the model it answers with: tailor models name ${name} MODEL`,
        details: { field: "model" },
      });
    if (!Object.keys(settings).length)
      throw new TailorError({
        code: "invalid_argument",
        message: `nothing to change: give a model to add a version, or --store-completions, --no-store-completions, --retention-days N`,
      });
    const n = s.modelNames.setStorage(name, storage);
    audit(s, "settings", name, settings);
    const kept = n.store_completions ? `kept ${n.retention_days} days` : "not kept unless asked";
    return { n, said: `${name}: chat completions ${kept}` };
  }
  checkModel(s, model);
  if (!existing) {
    const why = f.why ?? `named ${model}`;
    const n = s.modelNames.create(name, f.owner ?? CLI_OWNER, model, cliWho(), why, storage);
    audit(s, "create", name, { version: 1, model, why, ...settings });
    return { n, said: `${name} v1 answers with ${model}` };
  }
  if (f.owner !== undefined && f.owner !== existing.owner)
    throw new TailorError({
      code: "conflict",
      message: `${name} is owned by ${existing.owner}; --owner only applies to a new name`,
      details: { field: "owner" },
    });
  const why = f.why ?? `added ${model}`;
  const promote = f.promote ?? false;
  const v = s.modelNames.add(name, model, { who: cliWho(), why, origin: "added", promote });
  audit(s, "add", name, { version: v.version, model, why, promoted: promote, ...settings });
  const n = Object.keys(settings).length
    ? s.modelNames.setStorage(name, storage)
    : s.modelNames.get(name);
  return {
    n,
    said: promote
      ? `${name} v${v.version} added and answering (${model})`
      : `${name} v${v.version} added (not answering yet: tailor models promote ${name} v${v.version})`,
  };
}

export function registerModelsNames(models: Command): void {
  models
    .command("name")
    .argument("<name>", "the model name, e.g. support (lowercase letters, digits, - and _)")
    .argument(
      "[model]",
      "the model it answers with: a fine-tuned model id or a base model (leave out to change only the settings)",
    )
    .description(
      "name a model (version 1 answers at once), add a version to a name (it answers once promoted), or change a name's settings",
    )
    .option("--why <text>", "why, for the name's history and the audit log")
    .option("--promote", "answer with the new version at once")
    .option("--store-completions", "keep chat completions to this name for feedback")
    .option("--no-store-completions", "keep them only when the caller asks (store: true)")
    .option("--retention-days <n>", "delete kept completions after N days (1-3650)", (v) =>
      positiveInt(v, "--retention-days"),
    )
    .option("--owner <owner>", "who owns a new name (the API's keys of that owner see it)")
    .option("--json", "print JSON")
    .action((name: string, model: string | undefined, f: NameFlags) => {
      const { n, said } = withTailor((s) => nameOrAdd(s, name, model, f));
      if (f.json) return printJson(n);
      say(said);
    });

  models
    .command("names")
    .description("the model names and the version each answers with")
    .option("--json", "print JSON")
    .action((f: { json?: boolean }) => {
      const list = withTailor((s) => s.modelNames.list(undefined));
      if (f.json) return printJson(list);
      if (!list.length) return say("no model names yet: tailor models name NAME MODEL makes one");
      console.log(
        table([
          ["NAME", "ANSWERS", "MODEL", "VERSIONS", "OWNER"],
          ...list.map((n) => [
            n.name,
            `v${n.current}`,
            n.current_model,
            String(n.versions.length),
            n.owner,
          ]),
        ]),
      );
    });

  models
    .command("versions")
    .argument("<name>", "a model name")
    .description(
      "a name's versions (the one answering marked *), each gate's reason, and its history",
    )
    .option("--json", "print JSON")
    .action((name: string, f: { json?: boolean }) => {
      const { n, history, text } = withTailor((s) => {
        const n = s.modelNames.get(name);
        const history = s.modelNames.events(name);
        return { n, history, text: renderVersions(s, n, history) };
      });
      if (f.json) return printJson({ ...n, history });
      console.log(text);
    });

  models
    .command("promote")
    .argument("<name>", "a model name")
    .argument("<version>", "the version to answer with, e.g. v2")
    .description("make a version of a name the one that answers")
    .requiredOption("--why <text>", "why, in a sentence (kept in the history and the audit log)")
    .option("--json", "print JSON")
    .action((name: string, version: string, f: { why: string; json?: boolean }) => {
      const v = versionArg(version);
      const n = withTailor((s) => {
        const before = s.modelNames.get(name).current;
        const after = s.modelNames.promote(name, v, cliWho(), f.why);
        audit(s, "promote", name, { from: before, to: v, why: f.why });
        return after;
      });
      if (f.json) return printJson(n);
      say(`${n.name} now answers with v${n.current} (${n.current_model})`);
    });

  models
    .command("rollback")
    .argument("<name>", "a model name")
    .description("answer again with the version that answered before the current one")
    .requiredOption("--why <text>", "why, in a sentence (kept in the history and the audit log)")
    .option("--json", "print JSON")
    .action((name: string, f: { why: string; json?: boolean }) => {
      const { n, from } = withTailor((s) => {
        const before = s.modelNames.get(name).current;
        const after = s.modelNames.rollback(name, cliWho(), f.why);
        audit(s, "rollback", name, { from: before, to: after.current, why: f.why });
        return { n: after, from: before };
      });
      if (f.json) return printJson(n);
      say(`${n.name} rolled back from v${from} to v${n.current} (${n.current_model})`);
    });
}
