import { Command, CommanderError } from "commander";
import { isTailorError } from "../errors/index.ts";
import { registerAssistants } from "./commands/assistants.ts";
import { registerAudit } from "./commands/audit.ts";
import { registerBackup } from "./commands/backup.ts";
import { registerChat } from "./commands/chat.ts";
import { registerClassify } from "./commands/classify.ts";
import { registerData } from "./commands/data.ts";
import { registerDemo } from "./commands/demo.ts";
import { registerDoctor } from "./commands/doctor.ts";
import { registerEval } from "./commands/eval.ts";
import { registerExport } from "./commands/export.ts";
import { registerGenerate } from "./commands/generate.ts";
import { registerJobs } from "./commands/jobs.ts";
import { registerKb } from "./commands/kb.ts";
import { registerKeys } from "./commands/keys.ts";
import { registerMigrate } from "./commands/migrate.ts";
import { registerModels } from "./commands/models.ts";
import { registerModerate } from "./commands/moderate.ts";
import { registerPolicies } from "./commands/policies.ts";
import { registerRetrain } from "./commands/retrain.ts";
import { registerReview } from "./commands/review.ts";
import { registerServe } from "./commands/serve.ts";
import { registerTrain } from "./commands/train.ts";
import { registerWorker, registerWorkers } from "./commands/worker.ts";
import { EXIT_CODES } from "./exit-codes.ts";

export function buildProgram(): Command {
  const program = new Command()
    .name("tailor")
    .description(
      "Fine-tune an open-weight language model on your own examples, on your own machine.",
    )
    .version("0.1.0")
    .option("--verbose", "show the engine's log and stack traces")
    .option(
      "--database <url>",
      "keep the store in this Postgres database (postgres://user:password@host/db) instead of TAILOR_HOME/tailor.db; the same as TAILOR_DATABASE_URL",
    )
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  program.hook("preAction", (cmd) => {
    const url = cmd.optsWithGlobals().database as string | undefined;
    if (url) process.env.TAILOR_DATABASE_URL = url; // the worker's engine and children see it too
  });
  registerDoctor(program);
  registerModels(program);
  registerData(program);
  registerTrain(program);
  registerRetrain(program);
  registerJobs(program);
  registerEval(program);
  registerExport(program);
  registerWorker(program);
  registerWorkers(program);
  registerServe(program);
  registerKeys(program);
  registerPolicies(program);
  registerAudit(program);
  registerGenerate(program);
  registerKb(program);
  registerChat(program);
  registerAssistants(program);
  registerReview(program); // also attaches `tailor models pin|regression|unpin`
  registerClassify(program);
  registerModerate(program);
  registerDemo(program);
  registerBackup(program); // `tailor backup` and `tailor restore`
  registerMigrate(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0; // e.g. `data check` found errors
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2; // commander printed the message
    const verbose = argv.includes("--verbose");
    if (isTailorError(e)) {
      process.stderr.write(`error: ${e.message}\n`);
      if (verbose && e.stack) process.stderr.write(`${e.stack}\n`);
      return EXIT_CODES[e.code];
    }
    process.stderr.write(`error: ${(e as Error)?.message ?? String(e)}\n`);
    if (verbose) process.stderr.write(`${(e as Error)?.stack ?? ""}\n`);
    else process.stderr.write("(run again with --verbose for details)\n");
    return 1;
  }
}
