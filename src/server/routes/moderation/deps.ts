/**
 * What a moderated request needs from the server (the policies, flags, moderation model and name
 * finder), with each flag also written to the audit log as `moderation.<action>` by the one who
 * asked: used by chat completions, `/v1/responses` and the share page.
 */
import type { AuditInput } from "../../../auth/index.ts";
import type { ModerationDeps } from "../../../safety/moderation/index.ts";
import type { ServerContext } from "../../context.ts";

export function moderationDeps(
  ctx: Pick<ServerContext, "policies" | "flags" | "moderator" | "names" | "audit">,
  /** The key that asked (on a share page: keyId null and client `visitor:<id>`). */
  who: Pick<AuditInput, "keyId" | "owner" | "role" | "client">,
  /** What else the audit entry names: the request, the model, the assistant. */
  details: Record<string, unknown>,
): ModerationDeps {
  return {
    policies: ctx.policies,
    flags: ctx.flags,
    moderator: ctx.moderator,
    names: ctx.names,
    onFlag: (flag) =>
      ctx.audit.append({
        ...who,
        action: `moderation.${flag.action}`,
        target: flag.policy_id ?? flag.policy_name,
        result: flag.action === "blocked" ? "denied" : "ok",
        details: {
          flag: flag.id,
          ...details,
          stage: flag.stage,
          rules: flag.hits.map((h) => `${h.kind}:${h.rule}`).slice(0, 20),
        },
      }),
  };
}
