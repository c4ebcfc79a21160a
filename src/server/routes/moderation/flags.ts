/**
 * Tailor: `/v1/moderation/flags`, what moderation policies caught on chat completions, newest first.
 * Admins see every flag; other keys the flags of their own owner's requests.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { FlagList, FlagQuery } from "../../../../protocol/api/moderation-policies.ts";
import { type AppEnv, ownerScope, type ServerContext } from "../../context.ts";
import { listOf } from "../list.ts";
import { errorResponses, jsonResponses } from "../openapi.ts";

export function registerModerationFlags(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/moderation/flags",
      summary:
        "Tailor: the flags moderation policies logged (which rule fired, the score, a masked excerpt), newest first; filter by policy, model, stage, action",
      request: { query: FlagQuery },
      responses: jsonResponses(FlagList, "flags", errorResponses(400, 403)),
    }),
    (c) => {
      const q = c.req.valid("query");
      // a stored policy's flags by its id or name; else the name of a policy given inline
      const stored = q.policy ? ctx.policies.find(q.policy) : null;
      const { flags, hasMore } = ctx.flags.list({
        policyId: stored?.id,
        policyName: q.policy && !stored ? q.policy : undefined,
        model: q.model,
        stage: q.stage,
        action: q.action,
        owner: ownerScope(c.get("principal")),
        after: q.after,
        limit: q.limit,
      });
      return c.json(listOf(flags, hasMore), 200);
    },
  );
}
