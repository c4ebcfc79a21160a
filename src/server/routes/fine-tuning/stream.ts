import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { ApiError, FineTuningJobStreamEvent } from "../../../../protocol/api/index.ts";
import { TailorError } from "../../../errors/index.ts";
import { followJob, jobView } from "../../../jobs/index.ts";
import { type AppEnv, requireRole, type ServerContext } from "../../context.ts";
import { eventView, visibleJob } from "./jobs.ts";

const STREAM_PATH = "/v1/fine_tuning/jobs/:fine_tuning_job_id/stream";

/** Paths answered as a stream: the request time limit does not apply to them. */
export const isStreamPath = (path: string): boolean =>
  /^\/v1\/fine_tuning\/jobs\/[^/]+\/stream$/.test(path);

/**
 * Tailor: a job's events as server-sent events, from the first (or after `Last-Event-ID` / `?after=`)
 * until the job ends, then one `done` event with the job. The same stream as `tailor jobs follow`.
 */
export function registerJobStream(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/v1/fine_tuning/jobs/{fine_tuning_job_id}/stream",
    summary:
      "Tailor: a job's events as server-sent events (`event: fine_tuning.job.event`, id = sequence number; resumes after Last-Event-ID), ending with `event: done` carrying the job",
    request: {
      params: z.object({
        fine_tuning_job_id: z
          .string()
          .openapi({ param: { name: "fine_tuning_job_id", in: "path" } }),
      }),
      query: z.object({
        after: z.coerce.number().int().min(0).optional().openapi({
          description: "start after this event sequence number (data.tailor_seq)",
        }),
      }),
    },
    responses: {
      200: {
        description:
          "text/event-stream: each event's data a FineTuningJobEvent, then `done` with the FineTuningJob",
        content: { "text/event-stream": { schema: FineTuningJobStreamEvent } },
      },
      404: { description: "not found", content: { "application/json": { schema: ApiError } } },
    },
  });

  app.get(STREAM_PATH, (c) => {
    const p = c.get("principal");
    requireRole(p, ["admin", "member"], "read fine-tuning jobs");
    const job = visibleJob(ctx, p, c.req.param("fine_tuning_job_id"));
    const asked = c.req.query("after");
    // the document says a whole number from 0; -1 or "x" was once taken as "from the start"
    if (asked !== undefined && !/^\d+$/.test(asked))
      throw new TailorError({
        code: "invalid_argument",
        message: `after: expected an event sequence number (0 or more), got '${asked}'`,
        details: { field: "after" },
      });
    const from = Number(c.req.header("last-event-id") ?? asked ?? 0);
    const after = Number.isInteger(from) && from > 0 ? from : 0;
    return streamSSE(c, async (stream) => {
      const stop = new AbortController();
      stream.onAbort(() => stop.abort());
      for await (const e of followJob(ctx.jobs, job.id, { after, signal: stop.signal })) {
        await stream.writeSSE({
          id: String(e.seq),
          event: "fine_tuning.job.event",
          data: JSON.stringify(eventView(e)),
        });
      }
      if (stop.signal.aborted) return;
      const final = ctx.jobs.find(job.id);
      if (final) await stream.writeSSE({ event: "done", data: JSON.stringify(jobView(final)) });
    });
  });
}
