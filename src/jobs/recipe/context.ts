import type { JobServices } from "../services.ts";

/** Why a worker stopped the engine of a running job. */
export type StopReason = "cancel" | "shutdown" | "lost";

/** What every step of a run works with: the stores, the worker, and how to stop. */
export interface RunContext {
  services: JobServices;
  worker: string;
  /** Aborted by the worker to stop the engine; `reason()` says why. */
  signal: AbortSignal;
  reason: () => StopReason | null;
  onLog?: ((line: string) => void) | undefined;
  /** The worker's lease, which a job on several machines' other nodes hold too. */
  leaseMs?: number | undefined;
}
