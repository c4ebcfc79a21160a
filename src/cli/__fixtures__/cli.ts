/** Runs `bin/tailor` as a user would, each command in its own process, against one TAILOR_HOME. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../../bin/tailor", import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function cliSandbox(prefix: string, env: NodeJS.ProcessEnv = {}) {
  const home = mkdtempSync(join(tmpdir(), prefix));
  const tailor = (...args: string[]): CliResult => {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      encoding: "utf8",
      env: { ...process.env, ...env, TAILOR_HOME: home },
      timeout: 300_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  /** Writes a file into the sandbox and returns its path. */
  const file = (name: string, content: string | Buffer): string => {
    const path = join(home, name);
    writeFileSync(path, content);
    return path;
  };
  return { home, tailor, file };
}

/** One chat example as a JSONL line. */
export const chatLine = (user: string, answer: string): string =>
  JSON.stringify({
    messages: [
      { role: "user", content: user },
      { role: "assistant", content: answer },
    ],
  });
