/**
 * Retention: conversations are deleted once their expiry (the last message plus the assistant's
 * retention period) has passed. The server sweeps once when it starts and then every hour; the
 * timer never keeps the process alive on its own.
 */
import type { ConversationStore } from "./conversations.ts";

export const SWEEP_EVERY_MS = 60 * 60 * 1000;

export interface RetentionSweep {
  /** Stops the timer (the server's close). */
  stop(): void;
}

/** Sweeps now, then every `everyMs`; `log` hears how many were deleted (when any) and failures. */
export function startRetentionSweep(
  store: ConversationStore,
  opts: { everyMs?: number | undefined; log?: ((line: string) => void) | undefined } = {},
): RetentionSweep {
  const sweep = () => {
    try {
      const n = store.sweep();
      if (n > 0) opts.log?.(`retention: deleted ${n} expired conversation${n === 1 ? "" : "s"}`);
    } catch (e) {
      // a busy or closed database: the next sweep tries again
      opts.log?.(`retention: sweep failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  sweep();
  const timer = setInterval(sweep, opts.everyMs ?? SWEEP_EVERY_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
