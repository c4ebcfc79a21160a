import { existsSync, readFileSync, statSync } from "node:fs";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./context.ts";

/** Where `npm install` (scripts/build-studio.mjs) puts the built studio. */
export const STUDIO_DIST = fileURLToPath(new URL("../../studio/dist", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".woff2": "font/woff2",
};

const NOT_BUILT = (dir: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Tailor</title></head><body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto">
<h1>The studio is not built yet</h1>
<p>Run <code>npm install</code> (or <code>npm run build:studio</code>) in Tailor's folder, then reload this page.
It builds the web app into <code>${dir}</code>.</p>
<p>The API works without it: <a href="/docs">/docs</a>.</p></body></html>`;

/**
 * The studio (a single-page app) at `/`, from the same origin as the API: files of the build by
 * path, and index.html for every other path that is not the API's, so client routes reload.
 */
export function registerStudio(app: OpenAPIHono<AppEnv>, dir: string = STUDIO_DIST): void {
  const root = normalize(dir + sep);
  const index = join(root, "index.html");
  app.get("*", (c) => {
    const path = decodeURIComponent(c.req.path);
    if (path === "/v1" || path.startsWith("/v1/")) return c.notFound();
    if (!existsSync(index)) return c.html(NOT_BUILT(dir), 503);
    const file = normalize(join(root, path));
    if (file.startsWith(root) && existsSync(file) && statSync(file).isFile()) {
      const immutable = file.startsWith(join(root, "assets") + sep);
      return c.body(readFileSync(file), 200, {
        "content-type": TYPES[extname(file)] ?? "application/octet-stream",
        "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
        "x-content-type-options": "nosniff",
      });
    }
    if (extname(path)) return c.notFound(); // a missing asset, not a page
    return c.body(readFileSync(index), 200, {
      "content-type": TYPES[".html"] as string,
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
    });
  });
}
