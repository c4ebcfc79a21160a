import { createRoute, type OpenAPIHono, type z } from "@hono/zod-openapi";
import { BaseModelCardList, FineTuningPlan, PlanRequest } from "../../../../protocol/api/index.ts";
import { type FineTunePlan, planFromFiles } from "../../../jobs/index.ts";
import { baseModelCards } from "../../../models/index.ts";
import { type AppEnv, ownerScope, requireRole, type ServerContext } from "../../context.ts";
import { errorResponses } from "../openapi.ts";

const errors = errorResponses(400, 404, 422);
const auto = <T>(v: T | "auto" | undefined): T | undefined => (v === "auto" ? undefined : v);

function planView(
  body: z.infer<typeof PlanRequest>,
  p: FineTunePlan,
): z.infer<typeof FineTuningPlan> {
  const hp = p.spec.hyperparameters;
  const s = p.report.stats;
  const issue = (i: { line?: number; message: string }) => ({
    line: i.line ?? null,
    message: i.message,
  });
  return {
    object: "tailor.fine_tuning.plan",
    model: p.base,
    training_file: body.training_file,
    parameters: p.parameters,
    hyperparameters: {
      n_epochs: hp.epochs,
      batch_size: hp.batchSize,
      learning_rate: hp.learningRate,
      lora_rank: hp.loraRank,
      lora_alpha: hp.loraAlpha,
      seed: hp.seed,
    },
    explanations: p.explanations,
    train_examples: p.spec.train_examples,
    validation: p.spec.validation,
    tokens: s.tokens,
    context_length: s.context_length,
    tokens_per_epoch: s.tokens_per_epoch,
    tokens_per_second: s.tokens_per_second,
    estimated_seconds: p.estimatedSeconds,
    errors: p.report.errors.map(issue),
    warnings: p.report.warnings
      .filter((w) => w.code === "will_be_cut" || w.code === "uneven_lengths")
      .map(issue),
  };
}

/**
 * Tailor-only routes the studio uses before a job exists: the base models as cards, and what a
 * job would use and cost (`auto` resolved, the data measured with the base model's tokenizer).
 */
export function registerPlan(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/fine_tuning/base_models",
      summary:
        "Tailor: the base models that can be fine-tuned here, as cards (size, languages, offline)",
      responses: {
        200: {
          description: "cards, smallest model first",
          content: { "application/json": { schema: BaseModelCardList } },
        },
      },
    }),
    (c) =>
      c.json(
        {
          object: "list" as const,
          data: baseModelCards(ctx.home).map(({ name, ...rest }) => ({
            id: name,
            object: "tailor.base_model" as const,
            ...rest,
          })),
        },
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/fine_tuning/plan",
      summary:
        'Tailor: what a fine-tuning job would use ("auto" resolved and explained) and how long it would take on this machine; creates nothing',
      request: {
        body: { content: { "application/json": { schema: PlanRequest } }, required: true },
      },
      responses: {
        200: {
          description: "the plan",
          content: { "application/json": { schema: FineTuningPlan } },
        },
        ...errors,
      },
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, ["admin", "member"], "plan fine-tuning jobs");
      const body = c.req.valid("json");
      const hp = body.hyperparameters ?? {};
      const plan = await planFromFiles(ctx.plans, ctx.files, {
        scope: ownerScope(p),
        model: body.model,
        mayUse: (id) => ctx.access.list(p).some((a) => a.entry.name === id),
        trainingFile: body.training_file,
        validationFile: body.validation_file,
        epochs: auto(hp.n_epochs),
        batchSize: auto(hp.batch_size),
        learningRate: auto(hp.learning_rate),
        learningRateMultiplier: auto(hp.learning_rate_multiplier),
        loraRank: auto(hp.lora_rank),
      });
      return c.json(planView(body, plan), 200);
    },
  );
}
