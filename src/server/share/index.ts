/**
 * The share page: `/a/<slug>` (the page, for people without a Tailor key) and its own small API
 * under `/a/<slug>/api/` (visitor cookie, passcode, per-visitor rate limit, answers streamed,
 * feedback). Outside `/v1`: no API key needed unless the assistant is for signed-in keys only.
 *
 *   GET  /a/<slug>                                   the page (404 page when not published)
 *   GET  /a/<slug>/api/info                          name, greeting, questions, access, notice
 *   POST /a/<slug>/api/unlock                        {passcode} -> the unlock cookie
 *   POST /a/<slug>/api/conversations                 a new conversation of this visitor
 *   GET  /a/<slug>/api/conversations/<id>            the visitor's own conversation
 *   POST /a/<slug>/api/conversations/<id>/messages   {content} -> the answer as server-sent events
 *   POST /a/<slug>/api/conversations/<id>/messages/<mid>/feedback   thumbs, wrong, correction
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { SignInLimiter } from "../../auth/index.ts";
import { TailorError } from "../../errors/index.ts";
import type { AppEnv, ServerContext } from "../context.ts";
import { registerAnswers } from "./answer.ts";
import { registerShareApi } from "./api.ts";
import { MAX_SHARE_BODY_BYTES } from "./body.ts";
import { ShareLimits } from "./limits.ts";
import { registerShareNotFound, registerSharePage } from "./page.ts";
import { Signer, shareKey } from "./signing.ts";

/** `signIns`: failed sign-ins per address, shared with the API (a wrong passcode is one). */
export function registerShare(
  app: OpenAPIHono<AppEnv>,
  ctx: ServerContext,
  signIns: SignInLimiter = new SignInLimiter(),
): void {
  const signer = new Signer(() => shareKey(ctx.home));
  const deps = { ctx, signer, limits: new ShareLimits(), signIns };
  app.use("/a/:slug/api/*", async (c, next) => {
    c.header("cache-control", "no-store");
    c.header("x-content-type-options", "nosniff");
    c.header("referrer-policy", "no-referrer");
    await next();
  });
  app.use(
    "/a/:slug/api/*",
    bodyLimit({
      maxSize: MAX_SHARE_BODY_BYTES,
      onError: () => {
        throw new TailorError({
          code: "too_large",
          message: `That is too long to send (over ${MAX_SHARE_BODY_BYTES / 1024} KB). Please shorten it.`,
        });
      },
    }),
  );
  registerShareApi(app, deps);
  registerAnswers(app, deps);
  app.all("/a/:slug/api/*", () => {
    throw new TailorError({ code: "not_found", message: "No such call on this page's API." });
  });
  registerSharePage(app, deps);
  registerShareNotFound(app);
}
