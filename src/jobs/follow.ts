import { setTimeout as sleep } from "node:timers/promises";
import { isTerminalStatus, type JobEvent } from "../../protocol/index.ts";
import type { JobStore } from "./store/index.ts";

export interface FollowOptions {
  /** Start after the event with this sequence number (0: from the first event). */
  after?: number;
  signal?: AbortSignal | undefined;
  pollMs?: number;
}

/**
 * A job's events as they are stored, from any process: the worker may run elsewhere. Ends once the
 * job is in a terminal state and every event before it has been yielded, or when `signal` aborts.
 * The same stream feeds the CLI's progress bar and (later) the server's server-sent events.
 */
export async function* followJob(
  store: JobStore,
  jobId: string,
  opts: FollowOptions = {},
): AsyncGenerator<JobEvent, void, undefined> {
  let after = opts.after ?? 0;
  store.get(jobId); // a clear error for an unknown id
  while (!opts.signal?.aborted) {
    // read the status first: events written before a terminal status are then all visible below
    const done = isTerminalStatus(store.get(jobId).status);
    const batch = store.events.list(jobId, { after, limit: 1000 });
    for (const e of batch) {
      after = e.seq;
      yield e;
    }
    if (done && batch.length === 0) return;
    if (batch.length === 0) {
      try {
        await sleep(opts.pollMs ?? 250, undefined, opts.signal ? { signal: opts.signal } : {});
      } catch {
        return; // aborted
      }
    }
  }
}
