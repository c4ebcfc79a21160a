/**
 * Kept completions are deleted once their retention period has passed: the server sweeps once when
 * it starts and then every hour, next to the conversations' sweep; the timer never keeps the process
 * alive on its own.
 */
import type { CompletionStore } from "./store.ts";

export const SWEEP_EVERY_MS = 60 * 60 * 1000;

/** Sweeps now, then every `everyMs`; `log` hears how many were deleted (when any) and failures. */
export function startCompletionSweep(
  store: Pick<CompletionStore, "sweep">,
  opts: { everyMs?: number | undefined; log?: ((line: string) => void) | undefined } = {},
): { stop(): void } {
  const sweep = () => {
    try {
      const n = store.sweep();
      if (n > 0)
        opts.log?.(`retention: deleted ${n} expired stored completion${n === 1 ? "" : "s"}`);
    } catch (e) {
      // a busy or closed database: the next sweep tries again
      opts.log?.(
        `retention: completions' sweep failed: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  };
  sweep();
  const timer = setInterval(sweep, opts.everyMs ?? SWEEP_EVERY_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
