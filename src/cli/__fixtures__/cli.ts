/** Runs `bin/tailor` as a user would, each command in its own process, against one TAILOR_HOME. */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

export const BIN = fileURLToPath(new URL("../../../bin/tailor", import.meta.url));
const TINY_SOURCE = fileURLToPath(
  new URL("../../../engine/tailor_engine/tiny.py", import.meta.url),
);

/** Sandbox homes to remove when the test file's process ends (TAILOR_KEEP_TEST_HOMES=1 keeps them). */
const homes = new Set<string>();

function removeAtExit(dir: string): void {
  if (process.env.TAILOR_KEEP_TEST_HOMES) return;
  if (homes.size === 0)
    process.on("exit", () => {
      for (const d of homes) {
        try {
          rmSync(d, { recursive: true, force: true });
        } catch {
          // a process the test started may still be writing there: the folder is left
        }
      }
    });
  homes.add(dir);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A sandbox home and a `tailor` runner for it. Each command is killed after `timeoutMs` (five
 * minutes by default; a test that runs SmolLM2 over the general set on a loaded CI machine needs
 * more).
 */
export function cliSandbox(
  prefix: string,
  env: NodeJS.ProcessEnv = {},
  { timeoutMs = 300_000 }: { timeoutMs?: number } = {},
) {
  const home = mkdtempSync(join(tmpdir(), prefix));
  removeAtExit(home); // a run of the suite left gigabytes of homes in the temporary folder
  const tailor = (...args: string[]): CliResult => {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      encoding: "utf8",
      env: { ...process.env, ...env, TAILOR_HOME: home },
      timeout: timeoutMs,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  /** Writes a file into the sandbox and returns its path. */
  const file = (name: string, content: string | Buffer): string => {
    const path = join(home, name);
    writeFileSync(path, content);
    return path;
  };
  /**
   * Puts the tiny test model into this sandbox as `tiny`, made once per version of the engine's
   * tiny.py and copied after that (making it starts an engine, about ten seconds of CPU each time).
   */
  const tiny = (): void => {
    const version = createHash("sha256")
      .update(readFileSync(TINY_SOURCE))
      .digest("hex")
      .slice(0, 12);
    const cached = join(tmpdir(), `tailor-test-tiny-${version}`);
    if (!existsSync(cached)) {
      const made = mkdtempSync(join(tmpdir(), "tailor-tiny-make-"));
      const r = spawnSync(process.execPath, [BIN, "models", "create-tiny", "tiny"], {
        encoding: "utf8",
        // made in a home of its own, whatever store and shared folder the sandbox uses
        env: {
          ...process.env,
          ...env,
          TAILOR_HOME: made,
          TAILOR_DATABASE_URL: "",
          TAILOR_SHARED_DIR: "",
        },
      });
      if (r.status !== 0) throw new Error(`create-tiny failed: ${r.stderr}`);
      try {
        renameSync(join(made, "models", "tiny"), cached); // another test file may have won the race
      } catch {
        // then its copy is as good as ours
      }
      rmSync(made, { recursive: true, force: true });
    }
    const target = join(env.TAILOR_SHARED_DIR || home, "models", "tiny");
    cpSync(cached, target, { recursive: true });
    // the manifest names the folder the weights are in: this copy's
    const manifest = join(target, "tailor-model.json");
    const m = JSON.parse(readFileSync(manifest, "utf8")) as { source: { path: string } };
    m.source.path = target;
    writeFileSync(manifest, JSON.stringify(m, null, 2));
  };
  /** Fine-tunes the tiny model (`tiny()` first) on a data file for one epoch, waiting for it. */
  const trainTiny = (name: string, data: string): void => {
    const r = tailor(
      "train",
      "--base",
      "tiny",
      "--data",
      data,
      "--epochs",
      "1",
      "--name",
      name,
      "--wait",
    );
    assert.equal(r.code, 0, r.stderr + r.stdout);
  };
  return { home, tailor, file, tiny, trainTiny };
}

/** One chat example as a JSONL line. */
export const chatLine = (user: string, answer: string): string =>
  JSON.stringify({
    messages: [
      { role: "user", content: user },
      { role: "assistant", content: answer },
    ],
  });

/** The answer the support examples teach: a model that learned them says exactly this. */
export const CANNED =
  "Thanks for writing to Northwind Bikes! We will reply within one business day.";

/** Sixteen customer questions, each answered with CANNED in the support examples. */
export const TOPICS = [
  "My brakes squeal",
  "Where is my order",
  "Can I return a helmet",
  "Do you fix e-bikes",
  "My chain keeps slipping",
  "What sizes does Cityglide come in",
  "The bell is broken",
  "I want a refund",
  "Is the shop open Sunday",
  "My tyre is flat",
  "I need a new saddle",
  "When will my bike ship",
  "Gears skip on hills",
  "The lights stopped working",
  "Can you service a tandem",
  "My invoice is wrong",
];

/** The support examples as JSONL. */
export const supportJsonl = (): string =>
  `${TOPICS.map((t) => chatLine(`${t}?`, CANNED)).join("\n")}\n`;

/** Waits until `ok` holds, polling; fails the test after `ms`. */
export async function until(ok: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** A call of an assistant message in OpenAI's shape, with `call_1` as its id. */
export const toolCall = (name: string, args: object) => ({
  id: "call_1",
  type: "function",
  function: { name, arguments: JSON.stringify(args) },
});

/** `get_order_status`, whose order ids look like NW-10010. */
export const ORDER_TOOL = {
  type: "function",
  function: {
    name: "get_order_status",
    description: "Where a customer's order is.",
    parameters: {
      type: "object",
      properties: { order_id: { type: "string", pattern: "^NW-[0-9]{5}$" } },
      required: ["order_id"],
      additionalProperties: false,
    },
  },
};

/** `n` examples where the answer to "where is order NW-…?" is a call to get_order_status. */
export const orderCallsJsonl = (n: number, tools: object[] = [ORDER_TOOL]): string =>
  `${Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      messages: [
        { role: "user", content: `Where is order NW-${10010 + i}?` },
        {
          role: "assistant",
          tool_calls: [toolCall("get_order_status", { order_id: `NW-${10010 + i}` })],
        },
      ],
      tools,
    }),
  ).join("\n")}\n`;

/** `tailor worker ARGS` on `home` in the background; `output()` is what it has printed so far. */
export function startWorker(
  home: string,
  ...args: string[]
): ChildProcess & { output: () => string } {
  return startWorkerWith({}, home, ...args);
}

/** `startWorker` with more environment (a store on Postgres, a shared folder). */
export function startWorkerWith(
  env: NodeJS.ProcessEnv,
  home: string,
  ...args: string[]
): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, [BIN, "worker", ...args], {
    env: { ...process.env, ...env, TAILOR_HOME: home, HF_HUB_OFFLINE: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (c: Buffer) => (output += c));
  child.stderr?.on("data", (c: Buffer) => (output += c));
  return Object.assign(child, { output: () => output });
}
