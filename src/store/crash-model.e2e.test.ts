/**
 * kill -9 during a model install: `tailor models create-tiny` (the engine writes the model into a
 * hidden folder of the models folder, which is renamed into place once whole) killed while the
 * engine writes or just before the rename. Afterwards the model is not listed, the hidden folders
 * go, and the retry makes the same model as a clean run.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { cliSandbox } from "../cli/__fixtures__/cli.ts";
import { crashSandbox, filesUnder, kill9, leftovers, paused, until } from "./__fixtures__/crash.ts";

/**
 * A model folder's file names, and the sha256 of its weights, configuration and tokenizer (the
 * manifest names its folder and time; tokenizer_config.json how the tokenizer was loaded).
 */
const contents = (dir: string) => {
  const files = filesUnder(dir);
  const hashes = ["model.safetensors", "config.json", "tokenizer.json"].map((f) =>
    existsSync(join(dir, f))
      ? createHash("sha256")
          .update(readFileSync(join(dir, f)))
          .digest("hex")
      : "missing",
  );
  return { files, hashes };
};

/** Whether a process with this id still runs. */
const running = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The processes whose parent is `pid` (the engine a `tailor` process started). */
const childrenOf = (pid: number): number[] =>
  readdirSync("/proc")
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        // fields after the command's closing parenthesis: state, ppid, …
        const stat = readFileSync(`/proc/${n}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);

test("kill -9 during a model install: not listed, the hidden folders go, the retry makes the model a clean run makes", async (t) => {
  const sb = crashSandbox("tailor-crash-model-");
  t.after(() => sb.clean());
  const models = join(sb.home, "models");
  const create = ["models", "create-tiny", "m"];

  // 1. killed as soon as the model's hidden folder appears, the engine writing (at the latest when
  //    the model is whole and about to be renamed into place)
  const first = sb.start(create, "model-made");
  let engine: number[] = [];
  const hidden = () => existsSync(models) && readdirSync(models).some((n) => n.startsWith(".tmp-"));
  await until(
    () => {
      if (!engine.length) engine = childrenOf(first.pid);
      return hidden() || first.err().includes("tailor: paused at model-made");
    },
    240_000,
    "the model's hidden folder",
    first,
  );
  const when = first.err().includes("paused at") ? "before the rename" : "while the engine wrote";
  await kill9(first);
  // a killed CLI's engine runs on by itself until it finds its reader gone
  for (let i = 0; i < 1200 && engine.some(running); i++) await sleep(100);
  const orphans = engine.filter(running);
  for (const pid of orphans) process.kill(pid, "SIGKILL");
  t.diagnostic(
    `killed ${when}; the engine ${orphans.length ? "was still running and was killed" : "ended by itself"}, leaving ${JSON.stringify(leftovers(sb.home))}`,
  );
  assert.ok(!(await sb.json<{ name: string }[]>("models", "list")).some((m) => m.name === "m"));
  assert.deepEqual(leftovers(sb.home), []);

  // 2. killed with the model whole in its hidden folder, just before the rename
  const second = sb.start(create, "model-made");
  await paused(second, "model-made", 240_000);
  await kill9(second);
  assert.equal(leftovers(sb.home).length, 1, "the whole model in its hidden folder");

  const listed = await sb.json<{ name: string }[]>("models", "list");
  assert.ok(
    !listed.some((m) => m.name === "m"),
    "the model killed before its rename is not listed",
  );
  assert.deepEqual(leftovers(sb.home), [], "its hidden folders are removed");

  const retried = await sb.json<{ name: string; path: string }>(...create);
  const reference = cliSandbox("tailor-crash-model-clean-"); // a clean create-tiny's model (cached)
  t.after(() => rmSync(reference.home, { recursive: true, force: true }));
  reference.tiny();
  assert.ok((await sb.json<{ name: string }[]>("models", "list")).some((m) => m.name === "m"));
  assert.deepEqual(contents(retried.path), contents(join(reference.home, "models", "tiny")));
  assert.ok(!contents(retried.path).hashes.includes("missing"));
  assert.deepEqual(leftovers(sb.home), []);
});
