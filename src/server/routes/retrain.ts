/**
 * `POST /v1/model_names/{name}/retrain`: a new version of a model name from its accepted reviews
 * (src/retrain): the plan, its dataset versions with lineage, and a job continuing from the version
 * in use, whose gate decides the promotion; `dry_run` answers the plan alone. The name's owner
 * (members) or an admin; anyone else's name answers 404; viewers may not.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { RetrainRequest, RetrainResponse } from "../../../protocol/api/retrain.ts";
import { startRetrain } from "../../retrain/index.ts";
import { type AppEnv, ownerScope, requireRole, type ServerContext } from "../context.ts";
import { notFound } from "../errors.ts";
import { errorResponses, jsonResponses } from "./openapi.ts";

const Name = z.object({
  name: z.string().openapi({ param: { name: "name", in: "path" }, description: "the model name" }),
});

const auto = <T>(v: T | "auto" | undefined): T | undefined => (v === "auto" ? undefined : v);

export function registerRetrain(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/model_names/{name}/retrain",
      summary:
        "Tailor: retrain a model name on its accepted reviews (mixed with a sample of its original examples), continuing from the version in use; the gate decides the promotion. dry_run: the plan only",
      request: {
        params: Name,
        body: { content: { "application/json": { schema: RetrainRequest } }, required: false },
      },
      responses: jsonResponses(
        RetrainResponse,
        "the plan (with the datasets and the job unless dry_run)",
        errorResponses(400, 403, 404, 409, 422),
      ),
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, ["admin", "member"], "retrain model names");
      const { name } = c.req.valid("param");
      const named = ctx.modelNames.find(name);
      const scope = ownerScope(p);
      if (!named || (scope !== undefined && named.owner !== scope))
        throw notFound("model name", `${name}; GET /v1/model_names lists yours`, "name");
      const body = c.req.valid("json") ?? {};
      const hp = body.hyperparameters ?? {};
      const { plan } = await startRetrain(ctx, name, {
        sample: body.sample,
        heldOutShare: body.held_out_share,
        dryRun: body.dry_run,
        requestedBy: p.owner,
        owner: p.owner,
        hyperparameters: {
          epochs: auto(hp.n_epochs),
          batchSize: auto(hp.batch_size),
          learningRate: auto(hp.learning_rate),
          learningRateMultiplier: auto(hp.learning_rate_multiplier),
          loraRank: auto(hp.lora_rank),
        },
      });
      return c.json(plan, 200);
    },
  );
}
