import { createRoute, type OpenAPIHono, type z } from "@hono/zod-openapi";
import {
  ApiError,
  ClassificationRequest,
  ClassificationResponse,
  MAX_CLASSIFICATION_INPUTS,
} from "../../../protocol/api/index.ts";
import { requireClassifier } from "../../models/index.ts";
import { classificationTexts } from "../../serving/index.ts";
import type { AppEnv, ServerContext } from "../context.ts";

export function registerClassifications(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/classifications",
      summary:
        "Labels with scores for one text or many, from a classifier trained with method classify (Tailor's route; requests to one classifier are batched)",
      request: {
        body: {
          content: { "application/json": { schema: ClassificationRequest } },
          required: true,
        },
      },
      responses: {
        200: {
          description: "each text's labels, in input order",
          content: { "application/json": { schema: ClassificationResponse } },
        },
        400: {
          description: "bad request, or a model that is not a classifier",
          content: { "application/json": { schema: ApiError } },
        },
        404: {
          description: "unknown model",
          content: { "application/json": { schema: ApiError } },
        },
      },
    }),
    async (c) => {
      const req = c.req.valid("json");
      const principal = c.get("principal");
      ctx.access.resolve(principal, req.model); // 404 unless the caller may use it; "not ready" while its job runs
      const classifier = requireClassifier(ctx.access.get(principal, req.model).entry);
      const texts = classificationTexts(req.input, MAX_CLASSIFICATION_INPUTS);
      const out = await ctx.inference.classify(classifier.dir, texts, { signal: c.req.raw.signal });
      return c.json(
        {
          object: "list",
          model: req.model,
          data: out.results.map((r, index) => ({
            object: "classification" as const,
            index,
            label: r.predicted[0] ?? null,
            predicted: r.predicted,
            labels: r.labels,
          })),
          multi_label: out.multi_label,
          threshold: out.threshold,
          usage: { prompt_tokens: out.prompt_tokens, total_tokens: out.prompt_tokens },
        } satisfies z.infer<typeof ClassificationResponse>,
        200,
      );
    },
  );
}
