import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import {
  CreateJobRequest,
  FineTuningCheckpointList,
  FineTuningJob,
  type FineTuningJobEvent,
  FineTuningJobEventList,
  FineTuningJobList,
  Pagination,
} from "../../../../protocol/api/index.ts";
import type { JobEvent } from "../../../../protocol/index.ts";
import { TailorError } from "../../../errors/index.ts";
import { checkpointKept, createJob, describeSpec, type Job } from "../../../jobs/index.ts";
import { ModelRegistry } from "../../../models/index.ts";
import {
  type AppEnv,
  ownerScope,
  type Principal,
  requireRole,
  type ServerContext,
} from "../../context.ts";
import { notFound } from "../../errors.ts";
import { errorResponses, jsonResponses } from "../openapi.ts";

const errors = errorResponses(400, 422, 404, 409);
const json = <T extends z.ZodTypeAny>(schema: T, description: string) =>
  jsonResponses(schema, description, errors);
const IdParam = z.object({
  fine_tuning_job_id: z.string().openapi({ param: { name: "fine_tuning_job_id", in: "path" } }),
});

export function jobView(job: Job): z.infer<typeof FineTuningJob> {
  const hp = job.spec.hyperparameters;
  const out = {
    n_epochs: hp.epochs,
    batch_size: hp.batchSize,
    learning_rate_multiplier: job.spec.requested.learningRateMultiplier ?? 1,
  };
  const suffix = job.model_name.startsWith("ft:") ? (job.model_name.split(":")[2] ?? "") : "";
  return {
    id: job.id,
    object: "fine_tuning.job",
    created_at: job.created_at,
    finished_at: job.finished_at,
    model: job.base,
    fine_tuned_model: job.fine_tuned_model,
    organization_id: job.owner ?? "local",
    status: job.status,
    training_file: job.spec.files?.training ?? job.training_file,
    validation_file: job.spec.files ? job.spec.files.validation : job.validation_file,
    hyperparameters: out,
    method: { type: "supervised", supervised: { hyperparameters: out } },
    result_files: [],
    trained_tokens: null,
    seed: hp.seed,
    error: job.error ? { code: job.error.code, message: job.error.message, param: null } : null,
    estimated_finish: null,
    integrations: null,
    metadata: null,
    user_provided_suffix: suffix || null,
    tailor: {
      learning_rate: hp.learningRate,
      lora_rank: hp.loraRank,
      lora_alpha: hp.loraAlpha,
      explanations: describeSpec(job.spec),
      validation: job.spec.validation,
      attempts: job.attempts,
      result: job.result,
    },
  };
}

/** A stored job event as OpenAI's event object; Tailor's own type is kept as `data.tailor_type`. */
export function eventView(e: JobEvent): z.infer<typeof FineTuningJobEvent> {
  return {
    id: e.id,
    object: "fine_tuning.job.event",
    created_at: e.created_at,
    level: e.level,
    message: e.message,
    type: e.type === "metrics" || e.type === "evaluation" ? "metrics" : "message",
    data: { ...e.data, tailor_type: e.type, tailor_seq: e.seq },
  };
}

const auto = <T>(v: T | "auto" | undefined): T | undefined => (v === "auto" ? undefined : v);

export function registerJobs(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
  const visible = (p: Principal, id: string): Job => {
    const job = ctx.jobs.find(id);
    const scope = ownerScope(p);
    if (!job || (scope !== undefined && job.owner !== scope))
      throw notFound("fine-tuning job", id, "fine_tuning_job_id");
    return job;
  };

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/fine_tuning/jobs",
      summary: 'Create a fine-tuning job (LoRA); hyperparameters may be "auto"',
      request: {
        body: { content: { "application/json": { schema: CreateJobRequest } }, required: true },
      },
      responses: json(FineTuningJob, "the new job"),
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, ["admin", "member"], "create fine-tuning jobs");
      const body = c.req.valid("json");
      const scope = ownerScope(p);
      const file = (id: string, field: string) => {
        const f = ctx.files.find(id, scope);
        if (!f) throw notFound("file", id, field);
        if (f.purpose !== "fine-tune")
          throw new TailorError({
            code: "data_invalid", // well-formed, but the file is not training data: 422
            message: `${id} was uploaded with purpose ${f.purpose}; upload it with purpose=fine-tune`,
            details: { field },
          });
        return f;
      };
      const train = file(body.training_file, "training_file");
      const val = body.validation_file ? file(body.validation_file, "validation_file") : null;
      const entry = new ModelRegistry(ctx.home).get(body.model);
      if (entry?.kind !== "base")
        throw new TailorError({
          code: "model_not_found",
          message: `'${body.model}' is not a base model here; GET /v1/models lists them (fine-tune a base model, not a fine-tuned one)`,
          details: { field: "model" },
        });
      const bad = [train, val].find((f) => f?.status === "error");
      const hp = body.method?.supervised?.hyperparameters ?? body.hyperparameters ?? {};
      const suffix = body.suffix ?? "";
      const job = await createJob({
        home: ctx.home,
        base: body.model,
        data: train.dataset_id ?? train.id,
        val: val ? (val.dataset_id ?? val.id) : undefined,
        owner: p.owner,
        nameFor: (id) => `ft:${body.model}:${suffix}:${id.slice(6, 14)}`,
        epochs: auto(hp.n_epochs),
        batchSize: auto(hp.batch_size),
        learningRate: auto(hp.learning_rate),
        learningRateMultiplier: auto(hp.learning_rate_multiplier),
        loraRank: auto(hp.lora_rank),
        seed: body.seed ?? undefined,
        dataError: bad
          ? `${bad.id} (${bad.filename}) did not pass the data check: ${bad.status_details}`
          : undefined,
        files: { training: train.id, validation: val?.id ?? null },
      });
      return c.json(jobView(job), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/fine_tuning/jobs",
      summary: "List your fine-tuning jobs, newest first",
      request: { query: Pagination },
      responses: json(FineTuningJobList, "jobs"),
    }),
    (c) => {
      const p = c.get("principal");
      requireRole(p, ["admin", "member"], "list fine-tuning jobs");
      const q = c.req.valid("query");
      const scope = ownerScope(p);
      if (q.after) visible(p, q.after);
      const page = ctx.jobs.list({
        limit: q.limit + 1,
        after: q.after,
        ...(scope === undefined ? {} : { owner: scope }),
      });
      const data = page.slice(0, q.limit).map(jobView);
      return c.json({ object: "list" as const, data, has_more: page.length > q.limit }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/fine_tuning/jobs/{fine_tuning_job_id}",
      summary: "A fine-tuning job",
      request: { params: IdParam },
      responses: json(FineTuningJob, "the job"),
    }),
    (c) => {
      const p = c.get("principal");
      requireRole(p, ["admin", "member"], "read fine-tuning jobs");
      return c.json(jobView(visible(p, c.req.valid("param").fine_tuning_job_id)), 200);
    },
  );

  for (const action of ["cancel", "resume"] as const) {
    app.openapi(
      createRoute({
        method: "post",
        path: `/v1/fine_tuning/jobs/{fine_tuning_job_id}/${action}`,
        summary:
          action === "cancel"
            ? "Cancel a job: it stops at its next step and keeps its checkpoints"
            : "Resume a cancelled or failed job from its last checkpoint",
        request: { params: IdParam },
        responses: json(FineTuningJob, "the job"),
      }),
      (c) => {
        const p = c.get("principal");
        requireRole(p, ["admin", "member"], `${action} fine-tuning jobs`);
        const job = visible(p, c.req.valid("param").fine_tuning_job_id);
        const after =
          action === "cancel" ? ctx.jobs.requestCancel(job.id) : ctx.jobs.resume(job.id);
        return c.json(jobView(after), 200);
      },
    );
  }

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/fine_tuning/jobs/{fine_tuning_job_id}/events",
      summary:
        "A job's events, newest first (metrics events carry the training and validation numbers)",
      request: { params: IdParam, query: Pagination },
      responses: json(FineTuningJobEventList, "events"),
    }),
    (c) => {
      const p = c.get("principal");
      requireRole(p, ["admin", "member"], "read fine-tuning jobs");
      const job = visible(p, c.req.valid("param").fine_tuning_job_id);
      const q = c.req.valid("query");
      const all = ctx.jobs.events(job.id).reverse();
      const start = q.after ? all.findIndex((e) => e.id === q.after) + 1 : 0;
      const page = all.slice(start, start + q.limit);
      const data = page.map(eventView);
      return c.json({ object: "list" as const, data, has_more: start + q.limit < all.length }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/fine_tuning/jobs/{fine_tuning_job_id}/checkpoints",
      summary: "A job's kept checkpoints, newest first; each is usable as a model",
      request: { params: IdParam, query: Pagination },
      responses: json(FineTuningCheckpointList, "checkpoints"),
    }),
    (c) => {
      const p = c.get("principal");
      requireRole(p, ["admin", "member"], "read fine-tuning jobs");
      const job = visible(p, c.req.valid("param").fine_tuning_job_id);
      const q = c.req.valid("query");
      const all = ctx.jobs.checkpoints(job.id).filter(checkpointKept);
      const start = q.after ? all.findIndex((x) => x.id === q.after) + 1 : 0;
      const data = all.slice(start, start + q.limit).map((x) => ({
        id: x.id,
        object: "fine_tuning.job.checkpoint" as const,
        created_at: x.created_at,
        fine_tuned_model_checkpoint: `${job.model_name}:ckpt-step-${x.step}`,
        fine_tuning_job_id: job.id,
        step_number: x.step,
        metrics: { step: x.step, train_loss: x.train_loss, valid_loss: x.val_loss },
      }));
      return c.json({ object: "list" as const, data, has_more: start + q.limit < all.length }, 200);
    },
  );
}
