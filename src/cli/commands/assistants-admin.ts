/**
 * What every `tailor assistants` command shares: TAILOR_HOME's services, an assistant found by id
 * or by name, a knowledge base's id from its name, and the audit entry of a change (the CLI is this
 * machine's admin: logged as the OS user with client `cli`, like `tailor keys`).
 */
import { userInfo } from "node:os";
import type { Assistant } from "../../../protocol/assistants.ts";
import type { SettingsDeps } from "../../assistants/check.ts";
import { TailorError } from "../../errors/index.ts";
import { KnowledgeStore } from "../../knowledge/index.ts";
import { classifierOf } from "../../models/index.ts";
import type { Services } from "../../services/index.ts";

/** Who owns the assistants the CLI makes (the API's admin keys see them; `--owner` gives another). */
export const CLI_OWNER = "local";
/** The author of the versions the CLI makes (the API records a key id there). */
export const CLI_AUTHOR = "cli";

export function localUser(): string {
  try {
    return userInfo().username || "local";
  } catch {
    return "local"; // no passwd entry (some containers)
  }
}

/** An assistant by id (`asst_…`) or by its name when one assistant has it. */
export function findAssistant(s: Services, ref: string): Assistant {
  const byId = s.assistants.find(ref);
  if (byId) return byId;
  const named = s.assistants.list(undefined).filter((a) => a.settings.name === ref);
  if (named.length === 1) return named[0] as Assistant;
  if (!named.length)
    throw new TailorError({
      code: "not_found",
      message: `no assistant '${ref}'; \`tailor assistants list\` shows their ids and names`,
    });
  throw new TailorError({
    code: "conflict",
    message: `${named.length} assistants are named '${ref}' (${named.map((a) => a.id).join(", ")}); name one by its id`,
  });
}

/** A knowledge base's id from its name (`tailor kb create`) or id (`vs_…`). */
export function kbResolver(s: Services): (ref: string) => string {
  const store = new KnowledgeStore(s.db);
  return (ref) => {
    if (ref.startsWith("vs_") && store.find(ref)) return ref;
    const named = store.byName(ref);
    if (named.length === 1) return (named[0] as { id: string }).id;
    throw new TailorError({
      code: named.length ? "conflict" : "not_found",
      message: named.length
        ? `--kb ${ref}: ${named.length} knowledge bases have that name (${named.map((k) => k.id).join(", ")}); give its id`
        : `--kb ${ref}: no such knowledge base; \`tailor kb list\` lists them, \`tailor kb create ${ref}\` makes one`,
      details: { field: "knowledge.vector_store_ids" },
    });
  };
}

/**
 * What the settings name, checked on this machine: a model in TAILOR_HOME that writes answers, a
 * moderation policy (its id from its name), a knowledge base (anyone's: the CLI is the admin).
 */
export function settingsDeps(s: Services): SettingsDeps {
  const knowledge = new KnowledgeStore(s.db);
  return {
    model: (name) => {
      // a model name (`support`) stands for the version answering now; a model's own id wins
      const entry = s.models.get(name) ?? s.models.get(s.modelNames.resolve(name)?.model ?? name);
      if (!entry) {
        const known = s.models
          .list()
          .filter((m) => !classifierOf(m))
          .map((m) => m.name);
        throw new TailorError({
          code: "model_not_found",
          message: `no model '${name}' here; give one of ${known.join(", ")} (\`tailor models list\`)`,
        });
      }
      if (classifierOf(entry))
        throw new TailorError({
          code: "invalid_argument",
          message: `'${name}' is a classifier: it sorts texts into labels and writes no answers; give a base or fine-tuned chat model`,
        });
    },
    policy: (ref) => s.policies.get(ref).id,
    vectorStore: (id) => {
      knowledge.get(id);
    },
  };
}

/** Writes a change to the audit log (never a secret or a passcode: ids, names, counts). */
export function audit(
  s: Services,
  action: string,
  target: string,
  details: Record<string, unknown> = {},
): void {
  s.audit.append({
    keyId: null,
    owner: localUser(),
    role: "admin",
    action: `assistants.${action}`,
    target,
    result: "ok",
    client: "cli",
    details,
  });
}
