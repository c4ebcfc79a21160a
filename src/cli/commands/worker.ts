import type { Command } from "commander";
import { DEFAULT_LEASE_MS, Worker } from "../../jobs/index.ts";
import { tailorHome } from "../../models/index.ts";
import { positiveNumber } from "../args.ts";
import { say } from "../output.ts";
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
    .action((f: { once?: boolean; leaseSeconds: number }, cmd: Command) =>
      withTailor(async (services) => {
        const verbose = Boolean(cmd.optsWithGlobals().verbose);
        const worker = new Worker({
          services,
          leaseMs: f.leaseSeconds * 1000,
          say,
          ...(verbose ? { onLog: (l: string) => say(`[engine] ${l}`) } : {}),
        });
        const onSignal = () => {
          say("stopping: the running job (if any) stops at its next step and is queued again");
          worker.stop();
        };
        process.once("SIGINT", onSignal);
        process.once("SIGTERM", onSignal);
        say(`worker ${worker.id} is waiting for jobs (${tailorHome()})`);
        const ran = await worker.run({ once: Boolean(f.once) });
        say(`worker ${worker.id} stopped after ${ran} job(s)`);
      }),
    );
}
