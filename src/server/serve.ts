import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { serve as listen } from "@hono/node-server";
import { startRetentionSweep } from "../assistants/index.ts";
import {
  ADMIN_KEY_FILE,
  checkPrivateFiles,
  ensureAdminKey,
  RateLimiter,
  readLocalAdminKey,
  SignInLimiter,
  type SignInLimitOptions,
} from "../auth/index.ts";
import { startCompletionSweep } from "../completions/index.ts";
import { ExportService } from "../exports/index.ts";
import { PlanCache, Worker } from "../jobs/index.ts";
import { KnowledgeBase } from "../knowledge/index.ts";
import { EngineModerator, EngineNameFinder } from "../safety/index.ts";
import { openServices } from "../services/index.ts";
import { GgufCache, InferenceEngine, type LlamaServing, ServingRouter } from "../serving/index.ts";
import { LlamaEngine } from "../serving/llama/index.ts";
import { buildApp } from "./app.ts";
import { DEFAULT_LIMITS, type ServerContext, type ServerLimits } from "./context.ts";
import { AdmissionGate, type AdmissionLimits } from "./middleware/admission/index.ts";
import { corsOriginsFromEnv, parseCorsOrigins } from "./middleware/cors/index.ts";

export interface ServeOptions {
  home: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  limits?: Partial<ServerLimits>;
  /** Requests in flight at once, in all and per kind; past them: 429 with Retry-After. */
  admission?: Partial<AdmissionLimits>;
  /** Run a job worker in this process (default true). */
  worker?: boolean;
  /** The inference engine client (default: a new one; the server closes it). */
  inference?: InferenceEngine;
  /** The engine for moderation and names (default: a new one; the server closes it). */
  safety?: InferenceEngine;
  /**
   * Chat through llama.cpp (default: off, every chat on the PyTorch engine, as tests want it;
   * `tailor serve` passes llamaServingFromEnv(): on unless TAILOR_LLAMA=off).
   */
  llama?: LlamaServing;
  log?: (line: string) => void;
  /** The built studio to serve at `/` (default studio/dist; null: none). */
  studioDir?: string | null;
  /**
   * Private and loopback hosts HTTP functions may reach (default: TAILOR_FUNCTION_PRIVATE_HOSTS,
   * comma-separated `host` or `host:port`, `*` for all; none when unset).
   */
  functionPrivateHosts?: string[];
  /**
   * Origins whose web pages may call the API (parseCorsOrigins' form; default TAILOR_CORS_ORIGINS,
   * none when unset: the studio is served from the same origin and needs none).
   */
  corsOrigins?: string[];
  /** Failed sign-ins per client address (default: 10 within 5 minutes, then 429 until it ends). */
  signIns?: SignInLimitOptions;
}

/** The admin's list of private hosts functions may reach, from the environment. */
export function privateHostsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.TAILOR_FUNCTION_PRIVATE_HOSTS ?? "")
    .split(",")
    .map((h) => h.trim())
    .filter(Boolean);
}

/** llama.cpp (with its GGUF copies) in front of the PyTorch engine for chat, as `opts.llama` says. */
function chatRouter(opts: ServeOptions, inference: InferenceEngine): ServingRouter {
  const llama = opts.llama ?? { on: false, reason: "llama.cpp is off on this server" };
  const log = opts.log && ((l: string) => opts.log?.(`[llama.cpp] ${l}`));
  if (!llama.on) return new ServingRouter({ inference, llama: null, off: llama.reason, log });
  const { threads, sequences, maxQueue } = llama;
  return new ServingRouter({
    inference,
    llama: {
      engine: new LlamaEngine({ threads, sequences, maxQueue, onLog: log }),
      copies: new GgufCache({ home: opts.home, log }),
    },
    log,
  });
}

export interface RunningServer {
  url: string;
  adminKeyFile: string;
  /**
   * The studio, signed in with this machine's admin key: the key rides in the URL's fragment,
   * which browsers never send to a server; the studio keeps it and removes it from the address bar.
   */
  studioUrl: string;
  close: () => Promise<void>;
}

/** Starts the API (and, by default, a worker) on TAILOR_HOME; `close()` stops both cleanly. */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  checkPrivateFiles(opts.home); // a key file others may read: refused before anything starts
  const corsOrigins = opts.corsOrigins ? parseCorsOrigins(opts.corsOrigins) : corsOriginsFromEnv();
  // a second engine for the checks that must run while a model generates (moderation, names):
  // an engine runs one operation at a time, so a stream's checks cannot wait behind the stream
  const safety =
    opts.safety ??
    new InferenceEngine(
      opts.log ? { onLog: (l: string) => opts.log?.(`[safety engine] ${l}`) } : {},
    );
  // names in uploaded examples come from its named-entity model (started on first use)
  const names = new EngineNameFinder(safety);
  const services = openServices(opts.home, { names });
  ensureAdminKey(opts.home, services.keys);
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const inference =
    opts.inference ??
    new InferenceEngine(opts.log ? { onLog: (l: string) => opts.log?.(`[engine] ${l}`) } : {});
  const serving = chatRouter(opts, inference);
  const knowledge = new KnowledgeBase(services.db, {
    embedder: inference,
    files: services.files,
    warn: opts.log,
  });
  knowledge.resume();
  const { home, keys, audit, files, jobs, datasets, models, access, policies, flags } = services;
  const { assistants, conversations, responses } = services;
  const { modelNames, completions, review, regression, usage } = services;
  // exports run in the background; those a stopped server left running are failed now
  const exports = new ExportService({
    db: services.db,
    home,
    models,
    jobs,
    datasets,
    log: opts.log,
  });
  exports.recover();
  const ctx: ServerContext = {
    home,
    keys,
    audit,
    files,
    jobs,
    datasets,
    models,
    access,
    plans: new PlanCache(services),
    inference,
    chat: serving,
    serving,
    safety,
    moderator: new EngineModerator(safety),
    names,
    policies,
    flags,
    knowledge,
    assistants,
    conversations,
    responses,
    modelNames,
    completions,
    review,
    regression,
    usage,
    exports,
    functionPrivateHosts: opts.functionPrivateHosts ?? privateHostsFromEnv(),
    limiter: new RateLimiter({ requestsPerMinute: limits.requestsPerMinute }),
    limits,
    studioDir: opts.studioDir,
  };
  const app = buildApp(ctx, {
    admission: new AdmissionGate(opts.admission),
    corsOrigins,
    signIns: new SignInLimiter(opts.signIns),
  });
  const server = await new Promise<ReturnType<typeof listen>>((resolve) => {
    const s = listen(
      { fetch: app.fetch, hostname: opts.host ?? "127.0.0.1", port: opts.port ?? 8700 },
      () => resolve(s),
    );
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  const worker = opts.worker === false ? null : new Worker({ services, say: opts.log });
  const working = worker?.run() ?? Promise.resolve(0);
  // conversations past their assistant's retention period: deleted now, then every hour
  const retention = startRetentionSweep(conversations, { log: opts.log });
  // stored chat completions past their retention period, the same way
  const kept = startCompletionSweep(completions, { log: opts.log });
  return {
    url,
    adminKeyFile: join(opts.home, ADMIN_KEY_FILE),
    studioUrl: `${url}/#key=${encodeURIComponent(readLocalAdminKey(opts.home) ?? "")}`,
    close: async () => {
      retention.stop();
      kept.stop();
      worker?.stop();
      await exports.close(); // a running export fails: the server stopped
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await working;
      knowledge.close();
      await serving.close();
      await inference.close();
      await safety.close();
      services.close();
    },
  };
}
