/**
 * Crash tests' tools: `bin/tailor` run as a real child process on a sandbox TAILOR_HOME (and its own
 * TMPDIR, so that an upload's temporary folder can be watched), killed with SIGKILL mid-write, and
 * what a crash may leave in a home listed.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { PAUSE_ENV } from "../test-pause.ts";

const BIN = fileURLToPath(new URL("../../../bin/tailor", import.meta.url));

/** A running `tailor` process, its output so far, and how it ended. */
export interface Proc {
  child: ChildProcess;
  pid: number;
  out: () => string;
  err: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A home and a TMPDIR of its own for each test, removed by `clean`. */
export function crashSandbox(prefix: string) {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const home = join(root, "home");
  const tmp = join(root, "tmp");
  mkdirSync(tmp);
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...process.env, TAILOR_HOME: home, TMPDIR: tmp, ...extra };
    if (!(PAUSE_ENV in extra)) delete e[PAUSE_ENV];
    return e;
  };
  /** Starts `tailor ARGS…`; `pause` names the point where it should stop (test-pause.ts). */
  const start = (args: string[], pause?: string): Proc => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: env(pause ? { [PAUSE_ENV]: pause } : {}),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
    });
    const exited = once(child, "exit").then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
    assert.ok(child.pid, `tailor ${args.join(" ")} did not start`);
    return { child, pid: child.pid, out: () => out, err: () => err, exited };
  };
  /** Runs `tailor ARGS…` to its end. */
  const run = async (...args: string[]) => {
    const p = start(args);
    const { code } = await p.exited;
    return { code, stdout: p.out(), stderr: p.err() };
  };
  /** Runs `tailor ARGS… --json`, expects success, returns the parsed output. */
  const json = async <T>(...args: string[]): Promise<T> => {
    const r = await run(...args, "--json");
    assert.equal(r.code, 0, `tailor ${args.join(" ")}: ${r.stderr}${r.stdout}`);
    return JSON.parse(r.stdout) as T;
  };
  const clean = () => rmSync(root, { recursive: true, force: true });
  return { root, home, tmp, env, start, run, json, clean };
}

/** Kills a process with SIGKILL (no handler runs, nothing is flushed) and waits until it is gone. */
export async function kill9(p: Proc): Promise<void> {
  p.child.kill("SIGKILL");
  const { signal } = await p.exited;
  assert.equal(signal, "SIGKILL", `the process ended before it was killed: ${p.err()}`);
}

/** Waits until `ok` holds, polling every 10 ms; fails after `ms`, or if `p` ends first. */
export async function until(ok: () => boolean, ms: number, what: string, p?: Proc): Promise<void> {
  const end = Date.now() + ms;
  let ended = false;
  void p?.exited.then(() => {
    ended = true;
  });
  while (!ok()) {
    if (ended) assert.fail(`the process ended before ${what}: ${p?.err()}${p?.out()}`);
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}: ${p?.err()}`);
    await sleep(10);
  }
}

/** Waits until the process says it paused at `point` (test-pause.ts). */
export const paused = (p: Proc, point: string, ms = 60_000) =>
  until(() => p.err().includes(`tailor: paused at ${point}`), ms, `the pause at ${point}`, p);

/** Every file under `dir` (relative paths), [] when it does not exist. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

/** What writes in progress leave in a home: TAILOR_HOME/tmp and the models' hidden `.tmp-…`. */
export function leftovers(home: string): string[] {
  const models = join(home, "models");
  const hidden = existsSync(models)
    ? readdirSync(models)
        .filter((n) => n.startsWith(".tmp-"))
        .map((n) => `models/${n}`)
    : [];
  return [...filesUnder(join(home, "tmp")).map((f) => `tmp/${f}`), ...hidden];
}

/** `tailor serve` on a free port, with the URL it printed and the admin key it wrote. */
export async function serve(
  sandbox: ReturnType<typeof crashSandbox>,
  pause?: string,
): Promise<Proc & { url: string; key: string }> {
  const p = sandbox.start(["serve", "--port", "0", "--no-worker"], pause);
  await until(() => /^http:\/\/\S+$/m.test(p.out()), 60_000, "the server's URL", p);
  const url = /^(http:\/\/\S+)$/m.exec(p.out())?.[1] ?? "";
  const key = readFileSync(join(sandbox.home, "admin.key"), "utf8").trim();
  return { ...p, url, key };
}

/**
 * `n` distinct examples as JSONL, numbered from `from`: sums, without a letter, so that checking them
 * needs no engine (no names to look for; the tests pass --no-tokens).
 */
export const examplesJsonl = (n: number, from = 0): string =>
  `${Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      messages: [
        { role: "user", content: `${from + i} + ${from + i} = ?` },
        { role: "assistant", content: `${2 * (from + i)}` },
      ],
    }),
  ).join("\n")}\n`;
