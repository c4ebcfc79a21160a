import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import {
  ENGINE_REQUESTS,
  type EngineCommand,
  type EngineErrorCode,
  EngineMessage,
  type EngineMessageOf,
  PROTOCOL_VERSION,
  TERMINAL_MESSAGE_TYPES,
} from "../../protocol/index.ts";
import { type ErrorCode, TailorError } from "../errors/index.ts";
import { allocatorEnv } from "./allocator.ts";
import { ENGINE_DIR, enginePython } from "./paths.ts";

export type EngineRequestOf<C extends EngineCommand> = import("zod").input<
  (typeof ENGINE_REQUESTS)[C]
>;

export interface EngineRunOptions {
  /** Aborting asks the engine to stop at its next safe point, then escalates to signals. */
  signal?: AbortSignal;
  /** Each line the engine writes to stderr (its log). */
  onLog?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Called with the engine's process id once it has started. */
  onSpawn?: (pid: number) => void;
  /** A stdout line longer than this is a protocol violation (default 1 MiB). */
  maxLineBytes?: number;
  /** Grace periods of the shutdown sequence: close stdin, wait, SIGTERM, wait, SIGKILL. */
  graceMs?: { afterClose: number; afterTerm: number };
  /**
   * Run the command on this many engine processes on this machine, launched by torchrun (only
   * `train` runs distributed; rank 0 speaks the protocol, engine/tailor_engine/distributed.py).
   */
  processes?: number;
  /** This machine's place in a run that spans several (torchrun's static rendezvous on node 0). */
  nodes?: EngineNodes;
}

export interface EngineNodes {
  count: number;
  rank: number;
  /** Node 0's address and port, where every node's processes meet. */
  address: string;
  port: number;
}

const STDERR_TAIL_LINES = 40;

const ENGINE_TO_TAILOR: Record<EngineErrorCode, ErrorCode> = {
  invalid_request: "invalid_argument",
  data_invalid: "data_invalid",
  model_not_found: "model_not_found",
  model_corrupt: "model_corrupt",
  download_failed: "download_failed",
  out_of_memory: "out_of_memory",
  cancelled: "cancelled",
  internal: "internal",
};

/** The engine's own `failed` (or `error`) message as the TypeScript side's error. */
export function engineFailure(msg: { code: EngineErrorCode; message: string }): TailorError {
  return new TailorError({ code: ENGINE_TO_TAILOR[msg.code], message: msg.message });
}

function isTerminal(type: EngineMessage["type"]): boolean {
  return (TERMINAL_MESSAGE_TYPES as readonly string[]).includes(type);
}

/**
 * Runs one engine command in its own process and yields every message it sends, validated against
 * the protocol. Ends after the terminal message; throws if the engine dies without one or breaks the
 * protocol. Breaking out of the loop (or aborting) shuts the process down.
 */
export async function* runEngine<C extends EngineCommand>(
  command: C,
  request: EngineRequestOf<C>,
  opts: EngineRunOptions = {},
): AsyncGenerator<EngineMessage, void, undefined> {
  const parsed = ENGINE_REQUESTS[command].safeParse(request);
  if (!parsed.success) {
    throw new TailorError({
      code: "invalid_argument",
      message: `invalid ${command} request: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    });
  }
  const python = enginePython(opts.env ?? process.env);
  const child = spawn(python, engineArgs(command, opts.processes ?? 1, opts.nodes), {
    cwd: ENGINE_DIR,
    env: engineEnv(opts.env),
    stdio: ["pipe", "pipe", "pipe"],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal })),
  );
  const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));
  if (child.pid !== undefined) opts.onSpawn?.(child.pid);
  const stderrTail: string[] = [];
  collectStderr(child, stderrTail, opts.onLog);
  child.stdin.on("error", () => {}); // the engine may exit before reading everything
  child.stdin.write(`${JSON.stringify(parsed.data)}\n`);

  const grace = opts.graceMs ?? { afterClose: 10_000, afterTerm: 5_000 };
  const shutdown = () => stopProcess(child, exited, grace);
  const onAbort = () => void shutdown();
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  if (opts.signal?.aborted) onAbort();

  let sawTerminal = false;
  let sawHello = false;
  try {
    for await (const line of lines(child, opts.maxLineBytes ?? 1 << 20)) {
      const msg = parseLine(line);
      if (!sawHello) {
        if (msg.type === "failed") throw engineFailure(msg);
        if (msg.type !== "hello" || msg.protocolVersion !== PROTOCOL_VERSION) {
          throw new TailorError({
            code: "engine_protocol",
            message: `the engine spoke protocol ${msg.type === "hello" ? msg.protocolVersion : `(no hello, got ${msg.type})`}, Tailor expects ${PROTOCOL_VERSION}. Re-run \`npm install\` to update the engine.`,
          });
        }
        sawHello = true;
      }
      yield msg;
      if (isTerminal(msg.type)) {
        sawTerminal = true;
        break;
      }
    }
    if (!sawTerminal) {
      const err = await Promise.race([spawnError, exited]);
      if (err instanceof Error) {
        throw new TailorError({
          code: "engine_not_installed",
          message: `could not start the engine with ${python}: ${err.message}`,
          cause: err,
        });
      }
      const how = err.signal ? `was killed by ${err.signal}` : `exited with code ${err.code}`;
      const tail = stderrTail.slice(-12).join("\n");
      throw new TailorError({
        code: opts.signal?.aborted ? "cancelled" : "engine_crashed",
        message: `the engine ${how} before finishing ${command}.${tail ? `\nIts last log lines:\n${tail}` : ""}`,
        details: { exitCode: err.code, signal: err.signal },
      });
    }
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
    await shutdown();
  }
}

/**
 * The interpreter's arguments: the engine itself, or torchrun starting `processes` of it on this
 * machine (`--standalone`: a rendezvous of its own on a free local port), or this machine's share of
 * a run on several (`nodes`: ranks numbered by node, so node 0's first process is rank 0).
 */
export function engineArgs(
  command: EngineCommand,
  processes: number,
  nodes?: EngineNodes,
): string[] {
  const engine = ["-m", "tailor_engine", command];
  if (nodes && nodes.count > 1)
    return [
      "-m",
      "torch.distributed.run",
      `--nnodes=${nodes.count}`,
      `--node-rank=${nodes.rank}`,
      `--nproc-per-node=${processes}`,
      `--master-addr=${nodes.address}`,
      `--master-port=${nodes.port}`,
      ...engine,
    ];
  if (processes <= 1) return engine;
  return [
    "-m",
    "torch.distributed.run",
    "--standalone",
    `--nproc-per-node=${processes}`,
    ...engine,
  ];
}

/** Runs a command to its end and returns the terminal message, or throws the engine's failure. */
export async function engineResult<C extends EngineCommand, T extends EngineMessage["type"]>(
  command: C,
  request: EngineRequestOf<C>,
  expect: T,
  opts: EngineRunOptions & { onMessage?: (m: EngineMessage) => void } = {},
): Promise<EngineMessageOf<T>> {
  for await (const msg of runEngine(command, request, opts)) {
    opts.onMessage?.(msg);
    if (msg.type === "failed") throw engineFailure(msg);
    if (msg.type === expect) return msg as EngineMessageOf<T>;
  }
  throw new TailorError({
    code: "engine_protocol",
    message: `the engine finished ${command} without a ${expect} message`,
  });
}

/** The environment an engine process runs in, with its memory allocator (allocator.ts). */
export function engineEnv(env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const merged = { ...process.env, ...env };
  const allocator = allocatorEnv(enginePython(merged), merged);
  return { ...merged, ...allocator, PYTHONPATH: ENGINE_DIR, PYTHONUNBUFFERED: "1" };
}

/** One stdout line of the engine as a message, or an `engine_protocol` error quoting it. */
export function parseLine(line: string): EngineMessage {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new TailorError({
      code: "engine_protocol",
      message: `the engine wrote a line that is not JSON: ${line.slice(0, 200)}`,
    });
  }
  const parsed = EngineMessage.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TailorError({
      code: "engine_protocol",
      message: `the engine sent an invalid message (${issue?.path.join(".") || "<root>"}: ${issue?.message}): ${line.slice(0, 200)}`,
    });
  }
  return parsed.data;
}

async function* lines(child: ChildProcessWithoutNullStreams, maxBytes: number) {
  let buffer = "";
  for await (const chunk of child.stdout) {
    buffer += chunk.toString("utf8");
    let nl = buffer.indexOf("\n");
    while (nl >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (line) yield line;
      nl = buffer.indexOf("\n");
    }
    if (buffer.length > maxBytes) {
      throw new TailorError({
        code: "engine_protocol",
        message: `the engine wrote a line longer than ${maxBytes} bytes`,
      });
    }
  }
  if (buffer.trim()) yield buffer.trim();
}

/** Keeps the last lines of the engine's stderr in `tail` and passes each line to `onLog`. */
export function collectStderr(
  child: ChildProcessWithoutNullStreams,
  tail: string[],
  onLog?: (line: string) => void,
) {
  let pending = "";
  child.stderr.on("data", (chunk: Buffer) => {
    pending += chunk.toString("utf8");
    const parts = pending.split("\n");
    pending = parts.pop() ?? "";
    for (const line of parts) {
      tail.push(line);
      if (tail.length > STDERR_TAIL_LINES) tail.shift();
      onLog?.(line);
    }
  });
}

/** The shutdown sequence: close stdin, wait, SIGTERM, wait, SIGKILL. */
export async function stopProcess(
  child: ChildProcessWithoutNullStreams,
  exited: Promise<unknown>,
  grace: { afterClose: number; afterTerm: number },
) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.stdin.end();
  if (await settlesWithin(exited, grace.afterClose)) return;
  child.kill("SIGTERM");
  if (await settlesWithin(exited, grace.afterTerm)) return;
  child.kill("SIGKILL");
  await exited;
}

function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    p.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
