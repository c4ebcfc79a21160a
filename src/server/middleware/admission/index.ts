import type { HonoRequest, MiddlewareHandler } from "hono";
import type { AppEnv } from "../../context.ts";
import type { AdmissionGate, AdmissionKind } from "./gate.ts";

export {
  AdmissionGate,
  type AdmissionKind,
  type AdmissionLimits,
  DEFAULT_ADMISSION,
} from "./gate.ts";

export interface AdmissionOptions {
  gate: AdmissionGate;
  /** The kind a request counts as; null: not counted (health, a job's event stream). */
  kindOf: (req: HonoRequest) => AdmissionKind | null;
}

/**
 * A body that calls `done` once, when it has been read to its end, fails, or is cancelled (the
 * client went away): a streamed answer stays in flight until then.
 */
function watched(body: ReadableStream<Uint8Array>, done: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const r = await reader.read();
        if (r.done) {
          done();
          controller.close();
        } else controller.enqueue(r.value);
      } catch (e) {
        done();
        controller.error(e);
      }
    },
    async cancel(reason) {
      done();
      await reader.cancel(reason);
    },
  });
}

/**
 * Admission: a request past the gate's limits is answered at once with `rate_limited` (429) and a
 * Retry-After header, instead of waiting in an unbounded line. A streamed answer (server-sent
 * events) holds its place until the stream ends or the client leaves.
 */
export function admission(opts: AdmissionOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const kind = opts.kindOf(c.req);
    if (!kind) return next();
    const entry = opts.gate.enter(kind);
    if (!entry.ok) {
      c.header("retry-after", String(entry.retryAfterSeconds));
      throw entry.error;
    }
    const signal = c.req.raw.signal;
    signal.addEventListener("abort", entry.release, { once: true });
    const release = () => {
      signal.removeEventListener("abort", entry.release);
      entry.release();
    };
    let streaming = false;
    try {
      await next();
      const body = c.res.body;
      if (body && c.res.headers.get("content-type")?.startsWith("text/event-stream")) {
        c.res = new Response(watched(body, release), c.res);
        streaming = true;
      }
    } finally {
      if (!streaming) release();
    }
  };
}
