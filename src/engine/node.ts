/**
 * A machine's share of a training that spans several (`nodes` > 1), on a machine other than node 0:
 * torchrun starts this machine's engine processes, which meet node 0's at its rendezvous. None of
 * them is rank 0, so none reads a request or speaks the protocol (rank 0 sends them the request and
 * reports for all); this waits for them to end and says how.
 */
import { spawn } from "node:child_process";
import { TailorError } from "../errors/index.ts";
import { ENGINE_DIR, enginePython } from "./paths.ts";
import { collectStderr, type EngineNodes, engineArgs, engineEnv, stopProcess } from "./process.ts";

export interface NodeRunOptions {
  processes: number;
  nodes: EngineNodes;
  signal?: AbortSignal;
  onLog?: (line: string) => void;
  onSpawn?: (pid: number) => void;
}

/** Runs this node's processes of a `train` to their end; throws when they end badly. */
export async function runEngineNode(opts: NodeRunOptions): Promise<void> {
  const python = enginePython(process.env);
  const child = spawn(python, engineArgs("train", opts.processes, opts.nodes), {
    cwd: ENGINE_DIR,
    env: engineEnv(),
    stdio: ["pipe", "pipe", "pipe"],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal })),
  );
  const failedToStart = new Promise<Error>((resolve) => child.once("error", resolve));
  if (child.pid !== undefined) opts.onSpawn?.(child.pid);
  const tail: string[] = [];
  // ranks other than 0 read no request and write nothing on stdout
  child.stdout.resume();
  collectStderr(child, tail, opts.onLog);
  const stop = () =>
    void stopProcess(child, exited, {
      afterClose: 0,
      afterTerm: 10_000,
    });
  opts.signal?.addEventListener("abort", stop, { once: true });
  if (opts.signal?.aborted) stop();
  try {
    const end = await Promise.race([exited, failedToStart]);
    if (end instanceof Error)
      throw new TailorError({
        code: "engine_not_installed",
        message: `could not start the engine with ${python}: ${end.message}`,
        cause: end,
      });
    if (end.code === 0) return;
    const how = end.signal ? `was killed by ${end.signal}` : `exited with code ${end.code}`;
    throw new TailorError({
      code: opts.signal?.aborted ? "cancelled" : "engine_crashed",
      message: `node ${opts.nodes.rank}'s engine ${how}.${tail.length ? `\nIts last log lines:\n${tail.slice(-12).join("\n")}` : ""}`,
    });
  } finally {
    opts.signal?.removeEventListener("abort", stop);
  }
}
