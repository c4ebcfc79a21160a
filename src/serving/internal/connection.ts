/**
 * One `python -m tailor_engine serve` process: writes operations on its stdin, validates every line
 * it answers, routes replies to their operation by id, and fails every pending operation when the
 * process dies or breaks the protocol. The InferenceEngine above it starts a fresh one on demand.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import type { z } from "zod";
import {
  type EngineMessage,
  type EngineMessageOf,
  PROTOCOL_VERSION,
  type ServeOp,
} from "../../../protocol/index.ts";
import { ENGINE_DIR, enginePython } from "../../engine/paths.ts";
import {
  collectStderr,
  engineEnv,
  engineFailure,
  parseLine,
  stopProcess,
} from "../../engine/process.ts";
import { TailorError } from "../../errors/index.ts";

/** The messages that answer one operation. */
export type Reply = EngineMessageOf<
  | "delta"
  | "tool_call_delta"
  | "result"
  | "embeddings"
  | "token_count"
  | "classifications"
  | "names"
  | "error"
>;
const FINAL: ReadonlySet<EngineMessage["type"]> = new Set([
  "result",
  "embeddings",
  "token_count",
  "classifications",
  "names",
  "error",
]);
/** Streamed pieces of a generation, before its final reply. */
const PARTIAL: ReadonlySet<EngineMessage["type"]> = new Set(["delta", "tool_call_delta"]);
const isReply = (msg: EngineMessage): msg is Reply => FINAL.has(msg.type) || PARTIAL.has(msg.type);

export interface ReplyHandler {
  message(reply: Reply): void;
  fail(error: TailorError): void;
}

export interface ConnectionOptions {
  maxModels: number;
  env?: NodeJS.ProcessEnv | undefined;
  onLog?: ((line: string) => void) | undefined;
  maxLineBytes: number;
  graceMs: { afterClose: number; afterTerm: number };
  /** Called once, when the process has gone (whatever the reason). */
  onExit: () => void;
}

type Exit = { code: number | null; signal: NodeJS.Signals | null };

export class Connection {
  readonly pid: number | undefined;
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #exited: Promise<Exit>;
  readonly #handlers = new Map<string, ReplyHandler>();
  readonly #stderrTail: string[] = [];
  readonly #opts: ConnectionOptions;
  #partial = "";
  #sawHello = false;
  /** Set once the process is unusable: every later operation fails with it at once. */
  #dead: TailorError | undefined;

  constructor(opts: ConnectionOptions) {
    this.#opts = opts;
    const python = enginePython(opts.env ?? process.env);
    this.#child = spawn(python, ["-m", "tailor_engine", "serve"], {
      cwd: ENGINE_DIR,
      env: engineEnv(opts.env),
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.pid = this.#child.pid;
    this.#exited = new Promise((resolve) =>
      this.#child.once("close", (code, signal) => resolve({ code, signal })),
    );
    this.#child.once("error", (e) =>
      this.#die(
        new TailorError({
          code: "engine_not_installed",
          message: `could not start the engine with ${python}: ${e.message}`,
          cause: e,
        }),
      ),
    );
    void this.#exited.then((exit) => {
      this.#die(this.#exitError(exit));
      opts.onExit();
    });
    collectStderr(this.#child, this.#stderrTail, opts.onLog);
    this.#child.stdin.on("error", () => {}); // a dead engine is reported by its exit
    this.#child.stdout.setEncoding("utf8"); // decodes characters split across chunks
    this.#child.stdout.on("data", (chunk: string) => this.#onData(chunk));
    this.#write({ max_models: opts.maxModels });
  }

  /** False once the process failed or exited: start another. */
  get alive(): boolean {
    return this.#dead === undefined;
  }

  /** Sends a validated operation; its replies go to `handler` until the final one. */
  send(op: z.output<typeof ServeOp>, handler: ReplyHandler): void {
    if (this.#dead) {
      handler.fail(this.#dead);
      return;
    }
    this.#handlers.set(op.id, handler);
    this.#write(op);
  }

  /** Stops operation `id` if it is still pending; its handler hears nothing more. */
  cancel(id: string): void {
    if (!this.#handlers.delete(id) || this.#dead) return;
    this.#write({ op: "cancel", id: `cancel-${id}`, target: id });
  }

  /**
   * Fails what is pending (cancelled), then ends stdin (the engine cancels what it runs and exits),
   * waits, SIGTERM, waits, SIGKILL.
   */
  async close(): Promise<void> {
    this.#die(new TailorError({ code: "cancelled", message: "the inference engine was closed" }));
    await stopProcess(this.#child, this.#exited, this.#opts.graceMs);
  }

  #write(value: unknown): void {
    this.#child.stdin.write(`${JSON.stringify(value)}\n`);
  }

  #onData(chunk: string): void {
    let from = 0;
    for (let nl = chunk.indexOf("\n"); nl >= 0; nl = chunk.indexOf("\n", from)) {
      const line = (this.#partial + chunk.slice(from, nl)).trim();
      this.#partial = "";
      from = nl + 1;
      if (line && !this.#dead) this.#onLine(line);
    }
    this.#partial += chunk.slice(from);
    if (this.#partial.length > this.#opts.maxLineBytes) {
      this.#partial = "";
      this.#fatal(
        protocolError(`the engine wrote a line longer than ${this.#opts.maxLineBytes} bytes`),
      );
    }
  }

  #onLine(line: string): void {
    const problem = this.#route(line);
    if (problem) this.#fatal(problem);
  }

  /** Hands one line to whoever waits for it; returns what makes the process unusable, if anything. */
  #route(line: string): TailorError | undefined {
    let msg: EngineMessage;
    try {
      msg = parseLine(line);
    } catch (e) {
      return e instanceof TailorError ? e : protocolError(String(e));
    }
    if (!this.#sawHello) {
      if (msg.type === "failed") return engineFailure(msg);
      if (msg.type !== "hello" || msg.protocolVersion !== PROTOCOL_VERSION) {
        const got = msg.type === "hello" ? msg.protocolVersion : `(no hello, got ${msg.type})`;
        return protocolError(
          `the engine spoke protocol ${got}, Tailor expects ${PROTOCOL_VERSION}. Re-run \`npm install\` to update the engine.`,
        );
      }
      this.#sawHello = true;
      return undefined;
    }
    if (msg.type === "progress") {
      this.#opts.onLog?.(`${msg.stage}: ${msg.message}`);
      return undefined;
    }
    if (msg.type === "failed") return engineFailure(msg); // the serve loop itself gave up
    if (!isReply(msg)) return protocolError(`the engine sent ${msg.type} while serving`);
    if (msg.id == null) {
      return protocolError(`the engine could not read an operation: ${line.slice(0, 200)}`);
    }
    const handler = this.#handlers.get(msg.id);
    if (!handler) return undefined; // a cancelled operation's late replies
    if (FINAL.has(msg.type)) this.#handlers.delete(msg.id);
    handler.message(msg);
    return undefined;
  }

  /** The process cannot be trusted any more: fail what is pending, and stop it. */
  #fatal(error: TailorError): void {
    this.#die(error);
    this.#child.kill("SIGKILL");
  }

  #die(error: TailorError): void {
    if (this.#dead) return;
    this.#dead = error;
    const handlers = [...this.#handlers.values()];
    this.#handlers.clear();
    for (const h of handlers) h.fail(error);
  }

  #exitError({ code, signal }: Exit): TailorError {
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const tail = this.#stderrTail.slice(-12).join("\n");
    return new TailorError({
      code: "engine_crashed",
      message: `the inference engine ${how}; the next request starts a new one.${tail ? `\nIts last log lines:\n${tail}` : ""}`,
      details: { exitCode: code, signal },
    });
  }
}

function protocolError(message: string): TailorError {
  return new TailorError({ code: "engine_protocol", message });
}
