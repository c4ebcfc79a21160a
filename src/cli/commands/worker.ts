import type { Command } from "commander";
import {
  DEFAULT_LEASE_MS,
  describeOffers,
  machineOffers,
  Worker,
  workersRunning,
} from "../../jobs/index.ts";
import { tailorHome } from "../../models/index.ts";
import { positiveInt, positiveNumber } from "../args.ts";
import { printJson, say } from "../output.ts";
import { withTailor } from "../services.ts";

export function registerWorker(program: Command): void {
  program
    .command("worker")
    .description("run queued fine-tuning jobs, one at a time, until stopped (Ctrl-C)")
    .option("--once", "exit when the queue is empty")
    .option(
      "--lease-seconds <s>",
      "how long this worker may go silent before another worker takes its job over",
      (v) => positiveNumber(v, "--lease-seconds"),
      DEFAULT_LEASE_MS / 1000,
    )
    .option(
      "--gpus <n>",
      "GPUs this worker offers (default: those nvidia-smi lists; 0 keeps it off jobs that need a GPU)",
      (v) => positiveInt(v, "--gpus", true),
    )
    .action((f: { once?: boolean; leaseSeconds: number; gpus?: number }, cmd: Command) =>
      withTailor(async (services) => {
        const verbose = Boolean(cmd.optsWithGlobals().verbose);
        const worker = new Worker({
          services,
          leaseMs: f.leaseSeconds * 1000,
          offers: machineOffers(f.gpus),
          say,
          ...(verbose ? { onLog: (l: string) => say(`[engine] ${l}`) } : {}),
        });
        const onSignal = () => {
          say("stopping: the running job (if any) stops at its next step and is queued again");
          worker.stop();
        };
        process.once("SIGINT", onSignal);
        process.once("SIGTERM", onSignal);
        say(
          `worker ${worker.id} is waiting for jobs (${tailorHome()}); it offers ${describeOffers(worker.offers)}`,
        );
        const ran = await worker.run({ once: Boolean(f.once) });
        say(`worker ${worker.id} stopped after ${ran} job(s)`);
      }),
    );
}

/** `tailor workers`: the workers running on this store (on any machine) and what each offers. */
export function registerWorkers(program: Command): void {
  program
    .command("workers")
    .description("list the workers running on this store (any machine) and what each offers")
    .option("--json", "print JSON")
    .action((f: { json?: boolean }) =>
      withTailor((services) => {
        const workers = workersRunning(services.jobs);
        if (f.json) return printJson(workers);
        if (workers.length === 0)
          return say("no worker is running: start one with `tailor worker`");
        for (const w of workers)
          console.log(`${w.id}  ${w.host} pid ${w.pid}  ${describeOffers(w)}`);
      }),
    );
}
