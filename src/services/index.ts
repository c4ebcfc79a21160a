/**
 * The composition root's one place: TAILOR_HOME's database is opened once, here, and handed to
 * every store. The server (src/server/serve.ts) and the CLI (src/cli/services.ts) open the services,
 * use them, and close them; nothing below opens a database of its own.
 */
import { AssistantStore, ConversationStore, SecretBox } from "../assistants/index.ts";
import { AuditLog, KeyStore } from "../auth/index.ts";
import { CompletionStore } from "../completions/index.ts";
import { DatasetStore } from "../datasets/index.ts";
import { FileStore } from "../files/index.ts";
import { UsageLog } from "../health/index.ts";
import { JobStore, modelJobs } from "../jobs/index.ts";
import { ModelAccessControl, ModelRegistry, ModelShares } from "../models/index.ts";
import { ModelNames } from "../models/names/index.ts";
import { ResponseStore } from "../responses/index.ts";
import { RegressionSet, ReviewQueue } from "../review/index.ts";
import type { NameFinder } from "../safety/index.ts";
import { FlagStore, PolicyStore } from "../safety/moderation/index.ts";
import { openStore, type SqlDb } from "../store/index.ts";

export interface Services {
  home: string;
  /**
   * The one connection to the store (TAILOR_HOME/tailor.db, or Postgres at TAILOR_DATABASE_URL),
   * for a transaction that spans stores.
   */
  db: SqlDb;
  datasets: DatasetStore;
  files: FileStore;
  jobs: JobStore;
  models: ModelRegistry;
  /** Who may use, share and delete which model (the API's callers). */
  access: ModelAccessControl;
  keys: KeyStore;
  audit: AuditLog;
  /** Moderation policies (attached to models and keys) and the flags their checks log. */
  policies: PolicyStore;
  flags: FlagStore;
  /** Assistants (versions, secrets sealed, publication) and their conversations. */
  assistants: AssistantStore;
  conversations: ConversationStore;
  /** Stored `/v1/responses`, for `previous_response_id`. */
  responses: ResponseStore;
  /** Model names (`support`) and their versions: promote, roll back. */
  modelNames: ModelNames;
  /** Chat completions kept for feedback. */
  completions: CompletionStore;
  /** Answers with feedback waiting for a person; examples a name must never break. */
  review: ReviewQueue;
  regression: RegressionSet;
  /** One row per answer, for the health report. */
  usage: UsageLog;
  /** Closes the database; the services are unusable afterwards. */
  close(): void;
}

export interface ServicesOptions {
  /** Where people's names in examples come from (the engine's: the CLI and the server give it). */
  names?: NameFinder | undefined;
}

export function openServices(home: string, opts: ServicesOptions = {}): Services {
  const db = openStore(home);
  const datasets = new DatasetStore(db, home, opts.names ?? null);
  const jobs = new JobStore(db);
  const models = new ModelRegistry(home);
  const keys = new KeyStore(db);
  const modelNames = new ModelNames(db, models);
  return {
    home,
    db,
    datasets,
    files: new FileStore(db, datasets),
    jobs,
    models,
    access: new ModelAccessControl(models, new ModelShares(db), modelJobs(jobs), modelNames),
    keys,
    audit: new AuditLog(db),
    policies: new PolicyStore(db, {
      model: (name) => models.exists(name),
      key: (id) => keys.find(id) !== null,
    }),
    flags: new FlagStore(db),
    assistants: new AssistantStore(db, new SecretBox(home)),
    conversations: new ConversationStore(db),
    responses: new ResponseStore(db),
    modelNames,
    completions: new CompletionStore(db),
    review: new ReviewQueue(db),
    regression: new RegressionSet(db),
    usage: new UsageLog(db),
    close: () => db.close(),
  };
}

/**
 * Runs `fn` with the services of `home` and closes them once it is done: at once when it returns a
 * value, when its promise settles when it returns one, and also when it throws.
 */
export function withServices<T>(
  home: string,
  fn: (s: Services) => T,
  opts: ServicesOptions = {},
): T {
  const s = openServices(home, opts);
  let result: T;
  try {
    result = fn(s);
  } catch (e) {
    s.close();
    throw e;
  }
  if (result instanceof Promise) return result.finally(() => s.close()) as T;
  s.close();
  return result;
}
