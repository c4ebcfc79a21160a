/**
 * Who may use a share page: the assistant must be published at that slug (looked up on every
 * request, so an unpublish takes effect at once), and the visitor must have given the passcode
 * (an unlock cookie) or a Tailor API key when the assistant asks for one. The assistant answers
 * with its owner's rights: the owner's models and knowledge bases, never the visitor's.
 */
import type { Context } from "hono";
import type { Assistant } from "../../../protocol/assistants.ts";
import { hasRole, type Principal, type SignInLimiter } from "../../auth/index.ts";
import { TailorError } from "../../errors/index.ts";
import type { ServerContext } from "../context.ts";
import { failedSignIn, refuseLocked } from "../middleware/auth/index.ts";
import { clientAddress, type ShareLimits } from "./limits.ts";
import type { Signer } from "./signing.ts";
import { isUnlocked, visitorId } from "./visitor.ts";

export interface ShareDeps {
  ctx: ServerContext;
  signer: Signer;
  limits: ShareLimits;
  /** Failed sign-ins per address (wrong passcodes and keys), shared with the API. */
  signIns: SignInLimiter;
}

/** A visitor let in: who they are, and the published assistant they are talking to. */
export interface Visitor {
  id: string;
  address: string;
  assistant: Assistant;
  /** The key they signed in with (assistants for keys only), else null. */
  key: Principal | null;
}

export const NOT_AVAILABLE =
  "This assistant is not available: the link is wrong, or its owner has taken it down.";

const SLUG = /^[a-z0-9](?:[a-z0-9-]{1,62}[a-z0-9])$/;

/** The assistant published at `slug`, or not_found (also for a malformed slug). */
export function published(ctx: ServerContext, slug: string): Assistant {
  const a = SLUG.test(slug) ? ctx.assistants.bySlug(slug) : null;
  if (!a?.publication.published)
    throw new TailorError({ code: "not_found", message: NOT_AVAILABLE });
  return a;
}

/** The key in `Authorization: Bearer`, when it is valid (keys-only assistants). */
export function bearerKey(c: Context, ctx: ServerContext): Principal | null {
  const key = ctx.keys.verify(c.req.header("authorization"));
  return key ? { keyId: key.id, owner: key.owner, role: key.role } : null;
}

/** Whether the visitor has what the assistant's access asks for. */
export function isAdmitted(c: Context, deps: ShareDeps, a: Assistant): boolean {
  const access = a.publication.access;
  if (access === "public") return true;
  if (access === "passcode") return isUnlocked(c, deps.signer, a.id, a.publication.published_at);
  return bearerKey(c, deps.ctx) !== null;
}

const wait = (s: number) =>
  s <= 1 ? "a second" : s < 90 ? `${s} seconds` : `${Math.ceil(s / 60)} minutes`;

/** The share page's words for a locked address (too many wrong passcodes or keys). */
export const tooManyTries = (s: number) =>
  `Too many wrong attempts from your network. Please wait ${wait(s)} and try again.`;

/**
 * The visitor of the page at `slug`, let in; else 404 (not published) or 401 with what to do.
 * Every call but the questions' also counts against the address's looser limit.
 */
export function admit(
  c: Context,
  deps: ShareDeps,
  slug: string,
  opts: { question?: boolean } = {},
): Visitor {
  const address = clientAddress(c);
  if (!opts.question) deps.limits.other(c, address);
  const assistant = published(deps.ctx, slug);
  const signingIn =
    assistant.publication.access === "keys" && c.req.header("authorization") !== undefined;
  if (signingIn) refuseLocked(c, deps.signIns, address, tooManyTries);
  if (!isAdmitted(c, deps, assistant)) {
    if (signingIn)
      failedSignIn({ signIns: deps.signIns, audit: deps.ctx.audit }, address, `share ${slug}`);
    throw new TailorError({
      code: "unauthorized",
      message:
        assistant.publication.access === "passcode"
          ? "This assistant needs a passcode: enter the one you were given."
          : "This assistant is for people with a Tailor API key: enter yours to continue.",
      details: { access: assistant.publication.access },
    });
  }
  const key = assistant.publication.access === "keys" ? bearerKey(c, deps.ctx) : null;
  return { id: visitorId(c, deps.signer, slug), address, assistant, key };
}

/**
 * The owner as the runner acts for them: the strongest of their active keys (so an admin's
 * assistant may use what the admin may); an owner with no active key (an assistant made from the
 * CLI, say) acts as a member: base and shared models, their own fine-tunes and knowledge bases.
 */
export function ownerPrincipal(ctx: ServerContext, a: Assistant): Principal {
  const keys = ctx.keys.list({ owner: a.owner, activeOnly: true });
  const best = keys.reduce<(typeof keys)[number] | null>(
    (top, k) => (top === null || !hasRole(top.role, k.role) ? k : top),
    null,
  );
  return best
    ? { keyId: best.id, owner: a.owner, role: best.role }
    : { keyId: `assistant:${a.id}`, owner: a.owner, role: "member" };
}
