/** A real `bin/tailor serve --port 0 --no-worker` in its own process, for the benchmarks that talk HTTP. */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/tailor", import.meta.url));

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** The last lines the server logged (for a failure's report). */
  log: () => string;
}

/** Starts `tailor serve` on a free loopback port with `flags` in `env`; resolves once it prints its URL. */
export async function spawnServe(
  env: NodeJS.ProcessEnv,
  flags: string[] = [],
): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--no-worker", ...flags], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stderr?.on("data", (d: Buffer) => {
    log = (log + d.toString()).slice(-8000);
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /^(http:\/\/\S+)$/m.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`tailor serve exited (${code}):\n${log}`)));
  });
  return { child, url, log: () => log };
}
