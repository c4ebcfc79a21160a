import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./context.ts";
import { withCommonErrors } from "./openapi-common.ts";

export const API_INFO = {
  openapi: "3.1.0",
  security: [{ Bearer: [] }],
  info: {
    title: "Tailor API",
    version: "1.0.0",
    description:
      "OpenAI-compatible fine-tuning and inference on your own machine. Point an OpenAI SDK's baseURL at <server>/v1 and use a Tailor API key.",
  },
};

/** The paths `registerDocs` serves: public, since they hold no data. */
export const DOCS_PATHS = [
  "/openapi.json",
  "/docs",
  "/docs/swagger-ui.css",
  "/docs/swagger-ui-bundle.js",
] as const;

let swagger: { css: string; js: string } | null = null;
function swaggerAssets(): { css: string; js: string } {
  if (!swagger) {
    const dir = join(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"), "..");
    swagger = {
      css: readFileSync(join(dir, "swagger-ui.css"), "utf8"),
      js: readFileSync(join(dir, "swagger-ui-bundle.js"), "utf8"),
    };
  }
  return swagger;
}

const DOCS_HTML = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tailor API</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/docs/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({ url: "/openapi.json", dom_id: "#ui" });</script></body></html>`;

/** The OpenAPI document of every route registered on `app`, and Swagger UI over it at /docs. */
export function registerDocs(app: OpenAPIHono<AppEnv>): void {
  app.get("/openapi.json", (c) => c.json(withCommonErrors(app.getOpenAPI31Document(API_INFO))));
  app.get("/docs", (c) => c.html(DOCS_HTML));
  app.get("/docs/swagger-ui.css", (c) =>
    c.body(swaggerAssets().css, 200, { "content-type": "text/css" }),
  );
  app.get("/docs/swagger-ui-bundle.js", (c) =>
    c.body(swaggerAssets().js, 200, { "content-type": "text/javascript" }),
  );
}
