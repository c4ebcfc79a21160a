/**
 * The four kinds of request the load test sends at once, each as its own autocannon instance
 * (`connections` clients, at most `amount` requests, stopped after `seconds`): GET /v1/models,
 * multipart uploads to /v1/files, POST /v1/fine_tuning/jobs on the tiny model, and chat completions
 * on it (non-streamed, `max_tokens` bounded). Refusals (429/503) are counted with and without a
 * Retry-After header.
 */
import autocannon, { type Result } from "autocannon";

export interface KindSettings {
  name: string;
  connections: number;
  amount: number;
  method: "GET" | "POST";
  path: string;
  headers: Record<string, string>;
  body?: Buffer | string;
}

export interface KindResult {
  name: string;
  connections: number;
  requests: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  byStatus: Record<string, number>;
  errors: number;
  timeouts: number;
  /** Refusals (429 and 503) and how many of them carried Retry-After. */
  refused: number;
  withRetryAfter: number;
  /** How long refusals took to come back, in ms (NaN: none). */
  refusedP50: number;
  refusedP99: number;
  /** The first answer that was not 2xx, as it came (its start). */
  firstRefusal: string | null;
}

/** The p-th percentile (nearest rank) of xs. */
function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}

const BOUNDARY = "----tailor-load";

/** A multipart form with `purpose` and a `file` of `bytes` bytes (text, so it is not all one byte). */
export function multipart(bytes: number, purpose = "user_data"): Buffer {
  const line = "Tailor load test: a few MB of user data, stored as it comes.\n";
  const file = line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);
  return Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\n${purpose}\r\n` +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="load.txt"\r\n` +
      `Content-Type: text/plain\r\n\r\n${file}\r\n--${BOUNDARY}--\r\n`,
  );
}
export const MULTIPART_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

/** Runs every kind at once against `url`; each stops at its amount or after `seconds`. */
export async function runKinds(
  url: string,
  kinds: KindSettings[],
  opts: { seconds: number; timeoutSeconds: number },
): Promise<KindResult[]> {
  const runs = kinds.map((k) => {
    const refusals = {
      refused: 0,
      withRetryAfter: 0,
      ms: [] as number[],
      first: null as string | null,
    };
    const instance = autocannon({
      url: `${url}${k.path}`,
      method: k.method,
      connections: k.connections,
      amount: k.amount,
      timeout: opts.timeoutSeconds,
      headers: k.headers,
      ...(k.body === undefined ? {} : { body: k.body }),
      setupClient: (client) => {
        client.on("headers", ({ statusCode, headers }) => {
          if (statusCode !== 429 && statusCode !== 503) return;
          refusals.refused += 1;
          const names = headers.filter((_, i) => i % 2 === 0).map((h) => String(h).toLowerCase());
          if (names.includes("retry-after")) refusals.withRetryAfter += 1;
        });
        let status = 0;
        client.on("headers", ({ statusCode }) => {
          status = statusCode;
        });
        client.on("body", (chunk) => {
          if (status >= 300 && refusals.first === null)
            refusals.first = `${status} ${chunk.toString("utf8").slice(0, 300)}`;
        });
        client.on("response", (statusCode, _bytes, ms) => {
          if (statusCode === 429 || statusCode === 503) refusals.ms.push(ms);
        });
      },
    });
    const timer = setTimeout(() => instance.stop(), opts.seconds * 1000);
    return Promise.resolve(instance).then((r: Result) => {
      clearTimeout(timer);
      return summarize(k, r, refusals);
    });
  });
  return Promise.all(runs);
}

function summarize(
  k: KindSettings,
  r: Result,
  refusals: { refused: number; withRetryAfter: number; ms: number[]; first: string | null },
): KindResult {
  const byStatus = Object.fromEntries(
    Object.entries(r.statusCodeStats).map(([code, s]) => [code, s.count]),
  );
  const requests = Object.values(byStatus).reduce((a, b) => a + b, 0);
  return {
    name: k.name,
    connections: k.connections,
    requests,
    seconds: r.duration,
    perSecond: requests / Math.max(r.duration, 1e-9),
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    byStatus,
    errors: r.errors,
    timeouts: r.timeouts,
    refused: refusals.refused,
    withRetryAfter: refusals.withRetryAfter,
    refusedP50: percentile(refusals.ms, 50),
    refusedP99: percentile(refusals.ms, 99),
    firstRefusal: refusals.first,
  };
}
