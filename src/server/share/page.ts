/**
 * GET /a/<slug>: the share page's HTML (studio/share.html as built into the studio's dist; its
 * scripts and styles are the build's /assets/ files). An unknown or unpublished slug answers 404
 * with a small page of its own, at once after an unpublish (looked up on every request). Strict
 * headers: no inline script, no framing, no referrer, nothing cached.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { isTailorError } from "../../errors/index.ts";
import type { AppEnv } from "../context.ts";
import { STUDIO_DIST } from "../studio.ts";
import { NOT_AVAILABLE, published, type ShareDeps } from "./access.ts";
import { clientAddress } from "./limits.ts";

/** The page's policy: only this server's scripts, styles and API; never inside another page. */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** The 404 and "not built" pages have no script at all; their few styles are inline. */
const STATIC_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

export const PAGE_HEADERS = {
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "cache-control": "no-store",
  "permissions-policy": "camera=(), microphone=(), geolocation=()",
};

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function staticPage(title: string, text: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 4rem auto; padding: 0 1rem; color: #1c2230; line-height: 1.5">
<h1 style="font-size: 1.4rem">${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>`;
}

function staticResponse(c: Context, status: 404 | 503, title: string, text: string): Response {
  return c.html(staticPage(title, text), status, {
    ...PAGE_HEADERS,
    "content-security-policy": STATIC_CSP,
  });
}

export function registerSharePage(app: OpenAPIHono<AppEnv>, deps: ShareDeps): void {
  const dist = deps.ctx.studioDir === undefined ? STUDIO_DIST : deps.ctx.studioDir;
  const page = async (c: Context) => {
    const slug = c.req.param("slug") ?? "";
    deps.limits.other(c, clientAddress(c));
    try {
      published(deps.ctx, slug);
    } catch (e) {
      if (isTailorError(e) && e.code === "not_found")
        return staticResponse(c, 404, "Not available", NOT_AVAILABLE);
      throw e;
    }
    const file = dist === null ? null : join(dist, "share.html");
    if (file === null || !existsSync(file))
      return staticResponse(
        c,
        503,
        "This page is not built yet",
        "Tailor's web pages are not built on this server: its administrator runs `npm run build:studio` in Tailor's folder.",
      );
    return c.body(readFileSync(file), 200, {
      ...PAGE_HEADERS,
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": PAGE_CSP,
    });
  };
  app.get("/a/:slug", page);
  app.get("/a/:slug/", (c) => c.redirect(`/a/${encodeURIComponent(c.req.param("slug"))}`, 301));
}

/** Any other path under /a/: the 404 page (not the studio's app, which would answer every path). */
export function registerShareNotFound(app: OpenAPIHono<AppEnv>): void {
  app.get("/a/*", (c) => staticResponse(c, 404, "Not available", NOT_AVAILABLE));
  app.get("/a", (c) => staticResponse(c, 404, "Not available", NOT_AVAILABLE));
}
