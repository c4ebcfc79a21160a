import type { Command } from "commander";
import {
  checkpointKept,
  describeSpec,
  type JobStore,
  jobView,
  workersRunning,
} from "../../jobs/index.ts";
import { positiveInt } from "../args.ts";
import { printJson, say, table } from "../output.ts";
import { withTailor } from "../services.ts";
import { eventLine, watchJob } from "../watch.ts";

const withStore = <T>(fn: (store: JobStore) => T): T => withTailor((s) => fn(s.jobs));

const when = (s: number | null) =>
  s ? new Date(s * 1000).toISOString().slice(0, 19).replace("T", " ") : "-";

export function registerJobs(program: Command): void {
  const jobs = program.command("jobs").description("fine-tuning jobs: list, watch, cancel, resume");

  jobs
    .command("list")
    .description("the jobs, newest first")
    .option("--limit <n>", "how many", (v) => positiveInt(v, "--limit"), 20)
    .option("--json", "print JSON")
    .action((f: { limit: number; json?: boolean }) => {
      const list = withStore((s) => s.list({ limit: f.limit }));
      if (f.json) return printJson(list.map(jobView));
      if (list.length === 0)
        return say("no jobs yet; `tailor train --base MODEL --data FILE` creates one");
      console.log(
        table([
          ["ID", "STATUS", "CREATED", "BASE", "MODEL", "EXAMPLES"],
          ...list.map((j) => [
            j.id,
            j.status,
            when(j.created_at),
            j.base,
            j.fine_tuned_model ?? j.model_name,
            String(j.spec.train_examples),
          ]),
        ]),
      );
    });

  jobs
    .command("show")
    .argument("<id>", "job id (ftjob-…)")
    .description("a job's settings, state and result")
    .option("--json", "print JSON")
    .action((id: string, f: { json?: boolean }) => {
      const job = withStore((s) => s.get(id));
      if (f.json) return printJson(jobView(job));
      const lines = [
        `${job.id}  ${job.status}${job.cancel_requested && job.status === "running" ? " (cancelling)" : ""}`,
        `  base ${job.base} -> ${job.fine_tuned_model ?? `${job.model_name} (when it succeeds)`}`,
        `  data ${job.training_file}${job.validation_file ? `, validation ${job.validation_file}` : ""}`,
        `  created ${when(job.created_at)}, started ${when(job.started_at)}, finished ${when(job.finished_at)}${job.attempts > 1 ? `, ${job.attempts} attempts` : ""}`,
        ...describeSpec(job.spec).map((l) => `  ${l}`),
      ];
      if (job.result) lines.push(`  result: ${job.result.summary}`);
      if (job.error) lines.push(`  error (${job.error.code}): ${job.error.message}`);
      console.log(lines.join("\n"));
    });

  jobs
    .command("events")
    .argument("<id>", "job id")
    .description("a job's event log")
    .option("--json", "print JSON lines")
    .option("--no-metrics", "leave out the per-step metrics")
    .action((id: string, f: { json?: boolean; metrics: boolean }) => {
      const events = withStore((s) => {
        s.get(id);
        return s.events.list(id);
      }).filter((e) => f.metrics || e.type !== "metrics");
      for (const e of events) {
        if (f.json) printJson(eventLine(e));
        else
          console.log(
            `${when(e.created_at)}  ${e.level.padEnd(5)} ${e.type.padEnd(10)} ${e.message}`,
          );
      }
    });

  jobs
    .command("follow")
    .argument("<id>", "job id")
    .description("watch a job live until it ends (progress bar with loss and ETA)")
    .option("--run", "run the job here if it is queued and no worker is running")
    .option("--json", "print the events as JSON lines")
    .action((id: string, f: { run?: boolean; json?: boolean }, cmd: Command) =>
      withTailor(async (svc) => {
        const job = svc.jobs.get(id);
        const idle = workersRunning(svc.jobs).length === 0;
        const runHere = Boolean(f.run) && job.status === "queued" && idle;
        if (!runHere && job.status === "queued" && idle && !f.json)
          say(
            `no worker is running, so the job waits: start \`tailor worker\`, or follow with --run`,
          );
        const done = await watchJob(svc, id, {
          json: Boolean(f.json),
          runHere,
          verbose: Boolean(cmd.optsWithGlobals().verbose),
        });
        if (!f.json && done.fine_tuned_model)
          console.log(`model ${done.fine_tuned_model} is ready`);
      }),
    );

  jobs
    .command("cancel")
    .argument("<id>", "job id")
    .description("stop a job at its next step; it keeps its checkpoints and can be resumed")
    .option("--json", "print JSON")
    .action((id: string, f: { json?: boolean }) => {
      const job = withStore((s) => s.requestCancel(id));
      if (f.json) return printJson(jobView(job));
      console.log(
        job.status === "cancelled"
          ? `${id} cancelled`
          : `${id} will stop at its next step; \`tailor jobs resume ${id}\` goes on from its last checkpoint`,
      );
    });

  jobs
    .command("resume")
    .argument("<id>", "job id")
    .description("queue a cancelled or failed job again; it goes on from its last checkpoint")
    .option("--json", "print JSON")
    .action((id: string, f: { json?: boolean }) => {
      const job = withStore((s) => s.resume(id));
      if (f.json) return printJson(jobView(job));
      console.log(`${id} queued again`);
      if (withStore(workersRunning).length === 0)
        say(
          `no worker is running: \`tailor worker\` runs it, or \`tailor jobs follow ${id} --run\``,
        );
    });

  jobs
    .command("checkpoints")
    .argument("<id>", "job id")
    .description("a job's saved checkpoints; each can be used as a model (JOB_ID:step-N)")
    .option("--json", "print JSON")
    .action((id: string, f: { json?: boolean }) => {
      const list = withStore((s) => {
        s.get(id);
        return s.events.checkpoints(id).filter(checkpointKept);
      });
      if (f.json)
        return printJson(
          list.map((c) => ({
            object: "fine_tuning.job.checkpoint",
            model: `${id}:step-${c.step}`,
            ...c,
          })),
        );
      if (list.length === 0) return say("no checkpoints kept for this job");
      const best = Math.min(...list.map((c) => c.val_loss ?? Number.POSITIVE_INFINITY));
      console.log(
        table([
          ["MODEL", "EPOCH", "TRAIN LOSS", "VAL LOSS", "SAVED"],
          ...list.map((c) => [
            `${id}:step-${c.step}`,
            c.epoch.toFixed(2),
            c.train_loss?.toFixed(4) ?? "-",
            c.val_loss === null
              ? "-"
              : `${c.val_loss.toFixed(4)}${c.val_loss === best ? " (best)" : ""}`,
            when(c.created_at),
          ]),
        ]),
      );
    });
}
