/**
 * `GET /v1/models/{model}/health?days=28`: how a model name (all its versions) or a model id does
 * in use, per UTC day, with the summary in words (src/health). A name is its owner's keys' and
 * admins' (ModelAccessControl.name), a model the caller may use (.get); anything else answers 404.
 * Kept questions not yet checked for drift are embedded on the safety engine (the one that already
 * holds the embedding model for moderation), so a report never waits behind a generation.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { HealthReport } from "../../../protocol/health.ts";
import { DEFAULT_DAYS, MAX_DAYS, openHealth } from "../../health/index.ts";
import type { AppEnv, ServerContext } from "../context.ts";
import { errorResponses, jsonResponses } from "./openapi.ts";

const Params = z.object({
  model: z
    .string()
    .openapi({ param: { name: "model", in: "path" }, description: "a model name or a model id" }),
});
const Query = z.object({
  days: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_DAYS)
    .default(DEFAULT_DAYS)
    .openapi({ description: `days to report, ending today (UTC; 1-${MAX_DAYS})` }),
});

export function registerHealth(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/models/{model}/health",
      summary:
        "Tailor: a model's (or a model name's) use per day: requests, thumbs up/down, wrong answers, moderation flags, answer length and questions unlike its training data, with a summary in words",
      request: { params: Params, query: Query },
      responses: jsonResponses(HealthReport, "the health report", errorResponses(400, 404)),
    }),
    async (c) => {
      const p = c.get("principal");
      const ref = c.req.valid("param").model;
      const health = openHealth(ctx, ctx.safety);
      const scope = health.scope(ref);
      // a name of the caller's (or any, for an admin), or a model they may use; else a 404
      if (scope.kind === "name") ctx.access.name(p, ref);
      else ctx.access.get(p, ref);
      const report = await health.report(scope, {
        days: c.req.valid("query").days,
        signal: c.req.raw.signal,
      });
      return c.json(report, 200);
    },
  );
}
