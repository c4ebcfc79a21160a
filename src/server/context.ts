import type { AssistantStore, ConversationStore } from "../assistants/index.ts";
import type { AuditLog, KeyStore, Principal, RateLimiter } from "../auth/index.ts";
import type { CompletionStore } from "../completions/index.ts";
import type { DatasetStore } from "../datasets/index.ts";
import type { ExportService } from "../exports/index.ts";
import type { FileStore } from "../files/index.ts";
import type { UsageLog } from "../health/index.ts";
import type { JobStore, PlanCache } from "../jobs/index.ts";
import type { KnowledgeBase } from "../knowledge/index.ts";
import type { ModelAccessControl, ModelRegistry } from "../models/index.ts";
import type { ModelNames } from "../models/names/index.ts";
import type { ResponseStore } from "../responses/index.ts";
import type { RegressionSet, ReviewQueue } from "../review/index.ts";
import type { Moderator, NameFinder } from "../safety/index.ts";
import type { FlagStore, PolicyStore } from "../safety/moderation/index.ts";
import type { ChatEngine, InferenceEngine, ServingRouter } from "../serving/index.ts";

export { ownerScope, type Principal, requireRole } from "../auth/index.ts";

export type AppEnv = {
  Variables: {
    principal: Principal;
    /** Facts a route adds to its audit entry (a change's version and why); never a key or a body. */
    auditDetails?: Record<string, unknown>;
  };
};

export interface ServerLimits {
  /** Largest file upload (OpenAI's is 512 MB). */
  maxUploadBytes: number;
  /** Largest JSON request body. */
  maxBodyBytes: number;
  /** Requests per minute per key. */
  requestsPerMinute: number;
  /** A request that is not a stream or an upload is answered within this time. */
  requestTimeoutMs: number;
  /** An upload that sends no byte for this long is given up (its place freed). */
  uploadIdleMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxUploadBytes: 512 * 1024 * 1024,
  maxBodyBytes: 4 * 1024 * 1024,
  requestsPerMinute: 600,
  requestTimeoutMs: 120_000,
  uploadIdleMs: 30_000,
};

/**
 * What the routes reach, each named: the stores (on the composition root's one database), the
 * inference engine, knowledge, and the limits. Routes never open a store from a path.
 */
export interface ServerContext {
  /** TAILOR_HOME (the engine's token counter reads models from it). */
  home: string;
  keys: KeyStore;
  audit: AuditLog;
  limiter: RateLimiter;
  files: FileStore;
  jobs: JobStore;
  datasets: DatasetStore;
  models: ModelRegistry;
  /** Who may use, share and delete which model. */
  access: ModelAccessControl;
  /** Plans of fine-tunes before they exist, each measurement made once (the studio asks often). */
  plans: PlanCache;
  /** The PyTorch engine: embeddings and classification (chat goes through `chat`). */
  inference: InferenceEngine;
  /**
   * What answers chat and counts its tokens: llama.cpp for a model with a GGUF copy ready, the
   * PyTorch engine otherwise (`serving`, per request).
   */
  chat: ChatEngine;
  /** The same router: which engine serves a model, and why (GET /v1/models). */
  serving: ServingRouter;
  /**
   * A second engine process for moderation and names, so that a stream's output is checked while
   * the first engine goes on generating it (started on first use).
   */
  safety: InferenceEngine;
  /** The moderation model (tailor-moderation), scoring on `safety`. */
  moderator: Moderator;
  /** People's names in text, from the named-entity model on `safety` (personal-data checks). */
  names: NameFinder;
  /** Moderation policies (attached to models and keys) and the flags their checks log. */
  policies: PolicyStore;
  flags: FlagStore;
  /** Vector stores of documents and retrieval for chat. */
  knowledge: KnowledgeBase;
  /** Assistants, their conversations, and stored `/v1/responses`. */
  assistants: AssistantStore;
  conversations: ConversationStore;
  responses: ResponseStore;
  /** Model names and versions, kept completions, the review queue, regression sets, usage. */
  modelNames: ModelNames;
  completions: CompletionStore;
  review: ReviewQueue;
  regression: RegressionSet;
  usage: UsageLog;
  /**
   * Models written out as PEFT, merged, GGUF or for Ollama, in the background (absent only where a
   * test builds a context without it: the export routes then say exports are not available).
   */
  exports?: ExportService;
  /**
   * Private and loopback hosts (`host` or `host:port`; `*` for all) that HTTP functions may reach,
   * from the admin (`TAILOR_FUNCTION_PRIVATE_HOSTS`, comma-separated); everything private is refused
   * otherwise.
   */
  functionPrivateHosts: string[];
  limits: ServerLimits;
  /** The built studio served at `/` (undefined: studio/dist; null: no studio). */
  studioDir?: string | null | undefined;
}
