/**
 * The load test's server: a real `bin/tailor serve` in its own process on loopback, in a temporary
 * TAILOR_HOME with the tiny model (made by `tailor models create-tiny`), chat on the PyTorch engine
 * (TAILOR_LLAMA=off: the engine with no queue of its own) and no worker (jobs only queue). Its memory
 * is read from /proc: the Node process's VmRSS, and the engine processes below it.
 */
import { type ChildProcess, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { spawnServe } from "../lib/serve.ts";

const BIN = fileURLToPath(new URL("../../bin/tailor", import.meta.url));

export function homeEnv(home: string): NodeJS.ProcessEnv {
  return { ...process.env, TAILOR_HOME: home, HF_HUB_OFFLINE: "1", TAILOR_LLAMA: "off" };
}

/** Runs `bin/tailor` in `home`; throws with its stderr when it fails. */
export function tailor(home: string, ...args: string[]): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: homeEnv(home) });
  if (r.status !== 0)
    throw new Error(`tailor ${args.join(" ")} failed (exit ${r.status}):\n${r.stderr}`);
  return r.stdout;
}

export interface Served {
  child: ChildProcess;
  url: string;
  key: string;
  /** The last lines the server logged (for a failure's report). */
  log: () => string;
}

/** `tailor serve` on a free loopback port with `flags`; resolves once it prints its URL. */
export async function startServe(home: string, flags: string[]): Promise<Served> {
  const served = await spawnServe(homeEnv(home), flags);
  const key = readFileSync(join(home, "admin.key"), "utf8").trim();
  return { ...served, key };
}

export async function stopServe(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  if ((await Promise.race([exited, sleep(20_000, "late")])) === "late") child.kill("SIGKILL");
}

function status(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const kb = new RegExp(`${field}:\\s+(\\d+)`).exec(
      readFileSync(`/proc/${pid}/status`, "utf8"),
    )?.[1];
    return kb ? Number(kb) / 1024 : 0;
  } catch {
    return 0;
  }
}

function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Memory in MB: the server's Node process (now and its peak) and its engine processes (now). */
export function memory(pid: number): { node: number; nodePeak: number; engines: number } {
  const below = (p: number): number[] => children(p).flatMap((c) => [c, ...below(c)]);
  return {
    node: status(pid, "VmRSS"),
    nodePeak: status(pid, "VmHWM"),
    engines: below(pid).reduce((sum, p) => sum + status(p, "VmRSS"), 0),
  };
}
