import type { Command } from "commander";
import { tailorHome } from "../../models/index.ts";
import { DEFAULT_ADMISSION } from "../../server/middleware/admission/gate.ts";
import { llamaServingFromEnv } from "../../serving/index.ts";
import { positiveInt, positiveNumber } from "../args.ts";
import { say } from "../output.ts";

interface ServeFlags {
  host: string;
  port: number;
  worker: boolean;
  maxUploadMb: number;
  rateLimit: number;
  timeoutSeconds: number;
  corsOrigin: string[];
  maxInFlight: number;
  maxGenerations: number;
  maxUploads: number;
}

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("run the OpenAI-compatible API (and a job worker) on this machine")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port", (v) => positiveInt(v, "--port", true), 8700)
    .option("--no-worker", "do not run fine-tuning jobs in this process")
    .option(
      "--max-upload-mb <n>",
      "largest file upload",
      (v) => positiveNumber(v, "--max-upload-mb"),
      512,
    )
    .option(
      "--rate-limit <n>",
      "requests per minute per key",
      (v) => positiveInt(v, "--rate-limit"),
      600,
    )
    .option(
      "--timeout-seconds <s>",
      "time limit of a request (streams and uploads excepted)",
      (v) => positiveNumber(v, "--timeout-seconds"),
      120,
    )
    .option(
      "--max-in-flight <n>",
      "requests worked on at once; one more is answered 429 with Retry-After",
      (v) => positiveInt(v, "--max-in-flight"),
      DEFAULT_ADMISSION.maxInFlight,
    )
    .option(
      "--max-generations <n>",
      "chat generations at once (streams until they end); one more: 429",
      (v) => positiveInt(v, "--max-generations"),
      DEFAULT_ADMISSION.maxGenerations,
    )
    .option(
      "--max-uploads <n>",
      "file uploads at once; one more: 429",
      (v) => positiveInt(v, "--max-uploads"),
      DEFAULT_ADMISSION.maxUploads,
    )
    .option(
      "--cors-origin <origin>",
      "let web pages from this origin call the API (repeatable or comma-separated; default TAILOR_CORS_ORIGINS, else none: the studio needs none)",
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .action(async (f: ServeFlags) => {
      const { startServer } = await import("../../server/index.ts"); // loaded only to serve
      const server = await startServer({
        home: tailorHome(),
        host: f.host,
        port: f.port,
        worker: f.worker,
        limits: {
          maxUploadBytes: Math.round(f.maxUploadMb * 1024 * 1024),
          requestsPerMinute: f.rateLimit,
          requestTimeoutMs: Math.round(f.timeoutSeconds * 1000),
        },
        admission: {
          maxInFlight: f.maxInFlight,
          maxGenerations: f.maxGenerations,
          maxUploads: f.maxUploads,
        },
        ...(f.corsOrigin.length > 0 ? { corsOrigins: f.corsOrigin } : {}),
        log: say,
        // chat through llama.cpp unless TAILOR_LLAMA=off (and its threads, sequences and queue)
        llama: llamaServingFromEnv(),
      });
      say(`Tailor API on ${server.url}/v1 (docs: ${server.url}/docs)`);
      // the link holds the admin key: shown on a terminal, never written to a log file
      if (process.stderr.isTTY)
        say(`Studio (signed in as this machine's admin): ${server.studioUrl}`);
      else say(`Studio: ${server.url}/ (sign in with the key in ${server.adminKeyFile})`);
      say(
        `admin key: ${server.adminKeyFile}${f.worker ? "; a worker runs queued fine-tuning jobs" : ""}`,
      );
      console.log(server.url);
      await new Promise<void>((resolve) => {
        const stop = () => {
          say("stopping: running jobs stop at their next step and are queued again");
          resolve();
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      await server.close();
    });
}
