/**
 * The share page's API besides the answers (answer.ts): the page's info, the passcode, the
 * visitor's conversations and their feedback. A conversation is found only by the visitor who
 * started it, on the page it was started on: anyone else gets 404, as if it did not exist.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ShareFeedback, UnlockRequest } from "../../../protocol/api/share.ts";
import type { AssistantConversationWithMessages } from "../../../protocol/assistants.ts";
import { TailorError } from "../../errors/index.ts";
import type { AppEnv } from "../context.ts";
import { conversationFeedback } from "../feedback.ts";
import { failedSignIn, refuseLocked } from "../middleware/auth/index.ts";
import {
  admit,
  isAdmitted,
  published,
  type ShareDeps,
  tooManyTries,
  type Visitor,
} from "./access.ts";
import { readBody } from "./body.ts";
import { clientAddress } from "./limits.ts";
import { visitorAsker } from "./turn.ts";
import { shareConversation, shareInfo, shareMessage } from "./view.ts";
import { setUnlocked, visitorId } from "./visitor.ts";

const NO_CONVERSATION =
  "No such conversation here: it may have expired, or it was started in another browser.";

/** The visitor's own conversation with this assistant, or not_found. */
export function ownConversation(
  deps: ShareDeps,
  v: Visitor,
  id: string,
): AssistantConversationWithMessages {
  const conv = deps.ctx.conversations.find(id);
  if (
    !conv ||
    conv.assistant_id !== v.assistant.id ||
    conv.channel !== "share" ||
    conv.visitor !== v.id
  )
    throw new TailorError({ code: "not_found", message: NO_CONVERSATION });
  return conv;
}

const slugOf = (c: Context) => c.req.param("slug") ?? "";

export function registerShareApi(app: OpenAPIHono<AppEnv>, deps: ShareDeps): void {
  const { ctx } = deps;

  app.get("/a/:slug/api/info", (c) => {
    deps.limits.other(c, clientAddress(c));
    const a = published(ctx, slugOf(c));
    visitorId(c, deps.signer, slugOf(c)); // the visitor's cookie, before any other call needs it
    return c.json(shareInfo(a, isAdmitted(c, deps, a)));
  });

  app.post("/a/:slug/api/unlock", async (c) => {
    const address = clientAddress(c);
    const a = published(ctx, slugOf(c));
    if (a.publication.access !== "passcode") return c.json(shareInfo(a, isAdmitted(c, deps, a)));
    refuseLocked(c, deps.signIns, address, tooManyTries); // this address failed too often anywhere
    deps.limits.passcode(c, a.id, address);
    const { passcode } = await readBody(c, UnlockRequest);
    const visitor = visitorId(c, deps.signer, slugOf(c));
    if (!ctx.assistants.checkPasscode(a.id, passcode)) {
      failedSignIn({ signIns: deps.signIns, audit: ctx.audit }, address, `share.unlock ${a.id}`);
      ctx.audit.append({
        ...visitorAsker({ id: visitor, address, assistant: a, key: null }),
        action: "share.unlock",
        target: a.id,
        result: "denied",
        status: 401,
      });
      throw new TailorError({
        code: "unauthorized",
        message: "That passcode is not right. Check it and try again.",
        details: { field: "passcode" },
      });
    }
    deps.limits.passcodeAccepted(a.id, address);
    setUnlocked(c, deps.signer, slugOf(c), a.id, a.publication.published_at);
    return c.json(shareInfo(a, true));
  });

  app.post("/a/:slug/api/conversations", (c) => {
    const v = admit(c, deps, slugOf(c));
    const conv = ctx.conversations.start(
      v.assistant.id,
      "share",
      v.id,
      v.assistant.settings.retention_days,
    );
    return c.json(shareConversation({ ...conv, messages: [] }), 201);
  });

  app.get("/a/:slug/api/conversations/:id", (c) => {
    const v = admit(c, deps, slugOf(c));
    return c.json(shareConversation(ownConversation(deps, v, c.req.param("id"))));
  });

  app.post("/a/:slug/api/conversations/:id/messages/:mid/feedback", async (c) => {
    const v = admit(c, deps, slugOf(c));
    const conv = ownConversation(deps, v, c.req.param("id"));
    const input = await readBody(c, ShareFeedback);
    const mid = c.req.param("mid");
    const message = conv.messages.find((m) => m.id === mid);
    if (message?.role !== "assistant")
      throw new TailorError({
        code: "not_found",
        message: "No such answer in this conversation: feedback goes on the assistant's answers.",
      });
    // stored with the answer and filed for the owner's review, in one transaction
    const { message: answered } = conversationFeedback(ctx, v.assistant, conv, mid, input);
    return c.json(shareMessage(answered));
  });
}
