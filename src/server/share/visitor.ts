/**
 * Who a share page's visitor is, and whether they gave the passcode: two HttpOnly, SameSite=Strict
 * cookies scoped to the page's path (`/a/<slug>`), signed with the server's share key. The visitor
 * id is random and says nothing about the person; it is the only thing that ties a conversation to
 * them, so a second visitor cannot read the first one's conversation.
 */
import { randomBytes } from "node:crypto";
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { Signer } from "./signing.ts";

export const VISITOR_COOKIE = "tailor_visitor";
export const UNLOCK_COOKIE = "tailor_unlock";
/** A visitor is remembered for a year (a browser keeps a cookie 400 days at most). */
const VISITOR_MAX_AGE_S = 365 * 24 * 3600;
/** A passcode opens the page for a day (and until the browser closes). */
export const UNLOCK_TTL_S = 24 * 3600;

const VISITOR_ID = /^v_[0-9a-f]{24}$/;

function cookieOptions(c: Context, slug: string) {
  const https =
    new URL(c.req.url).protocol === "https:" || c.req.header("x-forwarded-proto") === "https";
  return {
    path: `/a/${slug}`,
    httpOnly: true,
    sameSite: "Strict" as const,
    secure: https,
  };
}

/** The visitor's id from their cookie, or a new one (set on the response) when there is none. */
export function visitorId(c: Context, signer: Signer, slug: string): string {
  const known = signer.verify("visitor", getCookie(c, VISITOR_COOKIE));
  if (known && VISITOR_ID.test(known)) return known;
  const id = `v_${randomBytes(12).toString("hex")}`;
  setCookie(c, VISITOR_COOKIE, signer.sign("visitor", id), {
    ...cookieOptions(c, slug),
    maxAge: VISITOR_MAX_AGE_S,
  });
  return id;
}

/**
 * What the unlock cookie vouches for: this assistant, as published at this time (publishing again,
 * say with a new passcode, makes old cookies worthless), until the expiry.
 */
const unlockValue = (assistantId: string, publishedAt: number | null, expires: number) =>
  `${assistantId}:${publishedAt ?? 0}:${expires}`;

export function setUnlocked(
  c: Context,
  signer: Signer,
  slug: string,
  assistantId: string,
  publishedAt: number | null,
  nowS: number = Math.floor(Date.now() / 1000),
): void {
  const value = unlockValue(assistantId, publishedAt, nowS + UNLOCK_TTL_S);
  // no Max-Age: a session cookie, gone when the browser closes (and worthless after a day)
  setCookie(c, UNLOCK_COOKIE, signer.sign("unlock", value), cookieOptions(c, slug));
}

export function isUnlocked(
  c: Context,
  signer: Signer,
  assistantId: string,
  publishedAt: number | null,
  nowS: number = Math.floor(Date.now() / 1000),
): boolean {
  const value = signer.verify("unlock", getCookie(c, UNLOCK_COOKIE));
  const m = value ? /^(.+):(\d+):(\d+)$/.exec(value) : null;
  if (!m) return false;
  return m[1] === assistantId && Number(m[2]) === (publishedAt ?? 0) && Number(m[3]) > nowS;
}
