/**
 * API keys and the audit log: the roles a key may have and the results an audited action may have,
 * defined once here for the auth domain, the CLI and the HTTP API.
 */

/**
 * What a key may do, most to least: `admin` manages keys and reads the audit log as well as
 * everything a member does; `member` uploads data, trains and uses models; `viewer` reads and
 * calls models but changes nothing.
 */
export const KEY_ROLES = ["admin", "member", "viewer"] as const;
export type KeyRole = (typeof KEY_ROLES)[number];

/** How an audited action ended: done, refused (no key, wrong role, over a limit), or failed. */
export const AUDIT_RESULTS = ["ok", "denied", "error"] as const;
export type AuditResult = (typeof AUDIT_RESULTS)[number];
