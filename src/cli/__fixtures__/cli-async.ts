/**
 * Runs `bin/tailor` in its own process without blocking the test process, so that a test file can
 * run several independent commands (each a Node start-up and often an engine start) at the same
 * time, as several users' terminals would.
 */
import { spawn } from "node:child_process";
import { BIN, type CliResult } from "./cli.ts";

/**
 * A `tailor` runner for `home` that resolves with the exit code and output once the command has
 * ended. The command is killed after `timeoutMs` (five minutes by default).
 */
export function asyncTailor(
  home: string,
  env: NodeJS.ProcessEnv = {},
  { timeoutMs = 300_000 }: { timeoutMs?: number } = {},
) {
  return (...args: string[]): Promise<CliResult> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        env: { ...process.env, ...env, TAILOR_HOME: home },
        stdio: ["ignore", "pipe", "pipe"],
        timeout: timeoutMs,
      });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
      child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}
