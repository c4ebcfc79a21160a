import type { AuditLog, KeyStore, RateLimiter, Role } from "../auth/index.ts";
import { TailorError } from "../errors/index.ts";
import type { FileStore } from "../files/index.ts";
import type { JobStore } from "../jobs/index.ts";
import type { KnowledgeBase } from "../knowledge/index.ts";
import type { InferenceEngine } from "../serving/index.ts";

/** Who is calling: the API key's owner and role. */
export interface Principal {
  keyId: string;
  owner: string;
  role: Role;
}

export type AppEnv = { Variables: { principal: Principal } };

export interface ServerLimits {
  /** Largest file upload (OpenAI's is 512 MB). */
  maxUploadBytes: number;
  /** Largest JSON request body. */
  maxBodyBytes: number;
  /** Requests per minute per key. */
  requestsPerMinute: number;
  /** A request that is not a stream or an upload is answered within this time. */
  requestTimeoutMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxUploadBytes: 512 * 1024 * 1024,
  maxBodyBytes: 4 * 1024 * 1024,
  requestsPerMinute: 600,
  requestTimeoutMs: 120_000,
};

/** What the routes share: the stores, the inference engine, the limits. */
export interface ServerContext {
  home: string;
  keys: KeyStore;
  audit: AuditLog;
  limiter: RateLimiter;
  files: FileStore;
  jobs: JobStore;
  inference: InferenceEngine;
  /** Vector stores of documents and retrieval for chat. */
  knowledge: KnowledgeBase;
  limits: ServerLimits;
  /** The built studio served at `/` (undefined: studio/dist; null: no studio). */
  studioDir?: string | null | undefined;
}

/** The owner whose objects a caller sees: everyone's for an admin (undefined), else their own. */
export function ownerScope(p: Principal): string | undefined {
  return p.role === "admin" ? undefined : p.owner;
}

export function requireRole(p: Principal, roles: readonly Role[], doing: string): void {
  if (!roles.includes(p.role)) {
    throw new TailorError({
      code: "forbidden",
      message: `a ${p.role} key may not ${doing}; ask an admin for a ${roles.join(" or ")} key`,
    });
  }
}
