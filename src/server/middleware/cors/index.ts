/**
 * Cross-origin requests: closed unless the admin lists origins. The studio and the share pages are
 * served by the API's own server (same origin), so they need none of this; a web page elsewhere
 * may call the API only from an origin given with `tailor serve --cors-origin URL` (or
 * TAILOR_CORS_ORIGINS). Refused preflights get 403 and no Access-Control-Allow-Origin, so the
 * browser never sends the request; other requests are answered without the header, so the page
 * cannot read the answer. Keys travel in Authorization, never in cookies: no credentials mode.
 */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { TailorError } from "../../../errors/index.ts";

/** Headers a page may read from an answer (rate limits, downloads' names). */
const EXPOSED = [
  "retry-after",
  "content-disposition",
  "x-tailor-skipped",
  "x-tailor-conversations",
];

/**
 * The origins in a list of `scheme://host[:port]` (comma-separated entries allowed), normalised;
 * a TailorError naming the entry for anything else (a path, `*`, another scheme).
 */
export function parseCorsOrigins(values: readonly string[], from = "--cors-origin"): string[] {
  const out = new Set<string>();
  for (const entry of values.flatMap((v) => v.split(","))) {
    const v = entry.trim();
    if (!v) continue;
    let url: URL | null = null;
    try {
      url = new URL(v);
    } catch {
      url = null;
    }
    const bare = url && (url.pathname === "/" || url.pathname === "") && !url.search && !url.hash;
    if (!url || !["http:", "https:"].includes(url.protocol) || !bare || url.username) {
      throw new TailorError({
        code: "invalid_argument",
        message: `${from}: '${v}' is not an origin; give scheme://host[:port], such as https://intranet.example.com or http://localhost:5173 (no path, no '*')`,
        details: { field: from },
      });
    }
    out.add(url.origin);
  }
  return [...out];
}

/** Origins from TAILOR_CORS_ORIGINS (comma-separated; none when unset). */
export function corsOriginsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return parseCorsOrigins([env.TAILOR_CORS_ORIGINS ?? ""], "TAILOR_CORS_ORIGINS");
}

/** The CORS policy for `origins` (already parsed; empty: closed). Put it before authentication. */
export function corsPolicy(origins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(origins);
  const open = cors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    allowMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
    exposeHeaders: EXPOSED,
    maxAge: 600,
    credentials: false,
  });
  return async (c, next) => {
    const origin = c.req.header("origin");
    if (origin !== undefined && allowed.has(origin)) return open(c, next);
    const preflight =
      c.req.method === "OPTIONS" && c.req.header("access-control-request-method") !== undefined;
    if (preflight) {
      throw new TailorError({
        code: "forbidden",
        message: `cross-origin requests from ${origin ?? "(no origin)"} are not allowed: the studio is served by this server itself; to call the API from a page on another origin, start the server with --cors-origin ${origin ?? "ORIGIN"} (or TAILOR_CORS_ORIGINS)`,
      });
    }
    await next();
    if (allowed.size > 0) c.header("vary", "Origin", { append: true });
  };
}
