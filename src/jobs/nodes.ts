/**
 * Jobs that span several machines (`tailor train --nodes M`): the worker that claims the job is
 * node 0. It opens the run's rendezvous on its own address and a free port, and its engine's first
 * process is rank 0, which reports for the whole run as on one machine. Workers on other machines
 * that find the job short of nodes join it (store/nodes.ts) and run their share of the processes
 * until it ends; a node that dies ends the attempt (torchrun), and the retry resumes from the
 * checkpoint in the shared folder with whichever workers join it then.
 */
import { createServer } from "node:net";
import { networkInterfaces } from "node:os";
import { type EngineNodes, runEngineNode } from "../engine/index.ts";
import type { JobServices } from "./services.ts";
import type { NodeSlot } from "./store/index.ts";
import type { Job } from "./types.ts";

/**
 * The address other machines reach this one at: TAILOR_NODE_ADDRESS, else the first non-loopback
 * IPv4 address, else the loopback (one machine).
 */
export function nodeAddress(env: NodeJS.ProcessEnv = process.env): string {
  const set = env.TAILOR_NODE_ADDRESS?.trim();
  if (set) return set;
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  return "127.0.0.1";
}

/** A port free on this machine now, for the rendezvous. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Node 0 opens a new attempt of a job on several machines: drops the nodes of an earlier attempt,
 * names its rendezvous, and says how many more are awaited. Returns the engine's node options.
 */
export async function openNodes(
  job: Job,
  services: JobServices,
  worker: string,
  leaseMs: number,
): Promise<EngineNodes | undefined> {
  const count = job.spec.nodes ?? 1;
  if (count <= 1) return undefined;
  const address = nodeAddress();
  const port = await freePort();
  services.jobs.nodes.open(job, worker, address, port, leaseMs);
  services.jobs.events.add(job.id, {
    type: "message",
    message: `node 0 of ${count} (this worker, ${address}:${port}): waiting for ${count - 1} more worker(s) to join; start \`tailor worker\` on the other machines, on the same store and TAILOR_SHARED_DIR`,
    data: { nodes: count, address, port },
  });
  return { count, rank: 0, address, port };
}

/** How long a node's processes may take to exit after its job succeeded, before they are stopped. */
export const NODE_EXIT_GRACE_MS = 60_000;

/**
 * A worker's share of a job on another machine: its engine processes run until the job's training
 * ends, and stop when the job no longer wants this node (it ended, was cancelled, or moved to a new
 * attempt). Returns how it ended, for the worker's log.
 */
export async function runAsNode(
  job: Job,
  slot: NodeSlot,
  opts: {
    services: JobServices;
    worker: string;
    leaseMs: number;
    signal: AbortSignal;
    onLog?: ((line: string) => void) | undefined;
  },
): Promise<string> {
  const { jobs } = opts.services;
  const count = job.spec.nodes ?? 1;
  jobs.events.add(job.id, {
    type: "message",
    message: `node ${slot.rank} of ${count} joined: worker ${opts.worker}`,
    data: { node: slot.rank, nodes: count, worker: opts.worker },
  });
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  opts.signal.addEventListener("abort", onAbort, { once: true });
  let finishing: NodeJS.Timeout | undefined;
  const beat = setInterval(
    () => {
      try {
        if (!finishing && !jobs.nodes.heartbeat(slot, opts.worker, opts.leaseMs)) {
          // The job no longer wants this node. Where it succeeded, this node's share ran with it, and
          // its processes may still be on their way out (torchrun waits for every node's agent
          // before exiting), so they get time to end on their own; otherwise they are stopped now.
          if (jobs.get(job.id).status === "succeeded")
            finishing = setTimeout(() => stop.abort(), NODE_EXIT_GRACE_MS);
          else stop.abort();
        }
        jobs.queue.workerHeartbeat(opts.worker); // still a live worker while it serves as a node
      } catch {
        // a busy database: the next beat tries again
      }
    },
    Math.min(1000, opts.leaseMs / 3),
  );
  try {
    await runEngineNode({
      processes: job.spec.processes ?? 1,
      nodes: { count, rank: slot.rank, address: slot.address, port: slot.port },
      signal: stop.signal,
      ...(opts.onLog ? { onLog: opts.onLog } : {}),
    });
    return "its share ran to the end";
  } catch (e) {
    // node 0 reports the attempt's end (a dead node ends it there too, and it is queued again)
    return `its share stopped: ${(e as Error).message.split("\n")[0]}`;
  } finally {
    clearInterval(beat);
    clearTimeout(finishing);
    opts.signal.removeEventListener("abort", onAbort);
    jobs.nodes.leave(slot, opts.worker);
  }
}
