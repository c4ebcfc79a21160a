export { ADMIN_KEY_FILE, ensureAdminKey, LOCAL_ADMIN, readLocalAdminKey } from "./admin-key.ts";
export {
  AUDIT_RESULTS,
  type AuditEntry,
  type AuditInput,
  AuditLog,
  type AuditQuery,
  type AuditResult,
} from "./audit.ts";
export { KeyAdmin } from "./key-admin.ts";
export { checkPrivateFile, checkPrivateFiles, PRIVATE_FILES } from "./key-files.ts";
export {
  type ApiKey,
  type CreateKeyOptions,
  hasRole,
  KEY_PREFIX,
  KeyStore,
  ROLES,
  type Role,
} from "./keys.ts";
export { ownerScope, type Principal, requireRole } from "./principal.ts";
export { RateLimiter, type RateLimitOptions, type RateLimitResult } from "./rate-limit.ts";
export {
  type SignInCheck,
  SignInLimiter,
  type SignInLimitOptions,
  signInAddress,
} from "./sign-in-limit.ts";
