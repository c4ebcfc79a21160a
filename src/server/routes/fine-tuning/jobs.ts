import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import {
  CreateJobRequest,
  type FineTuningCheckpoint,
  FineTuningCheckpointList,
  FineTuningJob,
  type FineTuningJobEvent,
  FineTuningJobEventList,
  FineTuningJobList,
  Pagination,
} from "../../../../protocol/api/index.ts";
import type { JobEvent } from "../../../../protocol/index.ts";
import {
  checkpointKept,
  createJobFromFiles,
  type Job,
  type JobCheckpoint,
  jobView,
} from "../../../jobs/index.ts";
import {
  type AppEnv,
  ownerScope,
  type Principal,
  requireRole,
  type ServerContext,
} from "../../context.ts";
import { notFound } from "../../errors.ts";
import { listOf, pageAfter } from "../list.ts";
import { errorResponses, jsonResponses } from "../openapi.ts";

const errors = errorResponses(400, 422, 404, 409);
const json = <T extends z.ZodTypeAny>(schema: T, description: string) =>
  jsonResponses(schema, description, errors);
const IdParam = z.object({
  fine_tuning_job_id: z.string().openapi({ param: { name: "fine_tuning_job_id", in: "path" } }),
});

/** What the jobs domain works with, from the server's services. */
const jobServices = (ctx: ServerContext) => ({
  home: ctx.home,
  jobs: ctx.jobs,
  datasets: ctx.datasets,
  models: ctx.models,
  modelNames: ctx.modelNames,
  regression: ctx.regression,
  files: ctx.files,
});

/** A job the caller may see (members their own, admins all); 404 for any other. */
export function visibleJob(ctx: ServerContext, p: Principal, id: string): Job {
  const job = ctx.jobs.find(id);
  const scope = ownerScope(p);
  if (!job || (scope !== undefined && job.owner !== scope))
    throw notFound("fine-tuning job", id, "fine_tuning_job_id");
  return job;
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

/** A kept checkpoint as OpenAI's checkpoint object; its model is `<job's model>:ckpt-step-N`. */
function checkpointView(job: Job, x: JobCheckpoint): z.infer<typeof FineTuningCheckpoint> {
  return {
    id: x.id,
    object: "fine_tuning.job.checkpoint",
    created_at: x.created_at,
    fine_tuned_model_checkpoint: `${job.model_name}:ckpt-step-${x.step}`,
    fine_tuning_job_id: job.id,
    step_number: x.step,
    metrics: { step: x.step, train_loss: x.train_loss, valid_loss: x.val_loss },
  };
}

const auto = <T>(v: T | "auto" | undefined): T | undefined => (v === "auto" ? undefined : v);

export function registerJobs(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
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
      const m = body.method;
      const hp =
        (m?.type === "dpo"
          ? m.dpo?.hyperparameters
          : m?.type === "classify"
            ? m.classify?.hyperparameters
            : m?.supervised?.hyperparameters) ??
        body.hyperparameters ??
        {};
      const job = await createJobFromFiles(jobServices(ctx), {
        scope: ownerScope(p),
        owner: p.owner,
        model: body.model,
        mayUse: (id) => ctx.access.list(p).some((a) => a.entry.name === id),
        trainingFile: body.training_file,
        validationFile: body.validation_file,
        suffix: body.suffix,
        epochs: auto(hp.n_epochs),
        batchSize: auto(hp.batch_size),
        learningRate: auto(hp.learning_rate),
        learningRateMultiplier: auto(hp.learning_rate_multiplier),
        loraRank: auto(hp.lora_rank),
        beta: m?.type === "dpo" ? auto(m.dpo?.hyperparameters?.beta) : undefined,
        method: m?.type ?? "supervised",
        seed: body.seed ?? undefined,
        processes: body.processes,
        nodes: body.nodes,
        shard: body.shard ?? false,
        gpu: body.requires_gpu ?? false,
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
      if (q.after) visibleJob(ctx, p, q.after);
      const page = ctx.jobs.list({
        limit: q.limit + 1,
        after: q.after,
        ...(scope === undefined ? {} : { owner: scope }),
      });
      return c.json(listOf(page.slice(0, q.limit).map(jobView), page.length > q.limit), 200);
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
      return c.json(jobView(visibleJob(ctx, p, c.req.valid("param").fine_tuning_job_id)), 200);
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
        const job = visibleJob(ctx, p, c.req.valid("param").fine_tuning_job_id);
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
      const job = visibleJob(ctx, p, c.req.valid("param").fine_tuning_job_id);
      const q = c.req.valid("query");
      const { items, hasMore } = pageAfter(ctx.jobs.events.list(job.id).reverse(), q, (e) => e.id);
      return c.json(listOf(items.map(eventView), hasMore), 200);
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
      const job = visibleJob(ctx, p, c.req.valid("param").fine_tuning_job_id);
      const q = c.req.valid("query");
      const all = ctx.jobs.events.checkpoints(job.id).filter(checkpointKept);
      const { items, hasMore } = pageAfter(all, q, (x) => x.id);
      return c.json(
        listOf(
          items.map((x) => checkpointView(job, x)),
          hasMore,
        ),
        200,
      );
    },
  );
}
