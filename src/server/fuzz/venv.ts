/**
 * The fuzzer's own virtualenv, for the tests only: made from the engine's Python (TAILOR_PYTHON or
 * engine/.venv) under node_modules/.cache/tailor-fuzz/, one per version of requirements.txt, with
 * its pinned Schemathesis. Made once (pip's cache makes a remake quick); a half-made one (no stamp)
 * is made again.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { enginePython } from "../../engine/paths.ts";

const REQUIREMENTS = fileURLToPath(new URL("requirements.txt", import.meta.url));
const CACHE = fileURLToPath(new URL("../../../node_modules/.cache/tailor-fuzz/", import.meta.url));
const STAMP = ".tailor-fuzz-ready";

function run(cmd: string, args: string[], what: string): void {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 600_000 });
  if (r.error || r.status !== 0)
    throw new Error(
      `${what} failed (${cmd} ${args.join(" ")}, exit ${r.status}): ${r.error?.message ?? ""}\n${r.stderr}`,
    );
}

/** The `st` (Schemathesis) command of the fuzzer's virtualenv, made first when missing. */
export function schemathesisCommand(): string {
  const python = enginePython();
  const version = createHash("sha256")
    .update(readFileSync(REQUIREMENTS))
    .update(python)
    .digest("hex")
    .slice(0, 12);
  const venv = join(CACHE, `venv-${version}`);
  const bin = process.platform === "win32" ? join(venv, "Scripts") : join(venv, "bin");
  const st = join(bin, process.platform === "win32" ? "st.exe" : "st");
  if (existsSync(join(venv, STAMP)) && existsSync(st)) return st;
  rmSync(venv, { recursive: true, force: true });
  mkdirSync(CACHE, { recursive: true });
  run(python, ["-m", "venv", venv], "making the fuzzer's virtualenv");
  run(
    join(bin, "python"),
    ["-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", REQUIREMENTS],
    "installing the fuzzer (Schemathesis) from PyPI",
  );
  writeFileSync(join(venv, STAMP), `${new Date().toISOString()}\n`);
  return st;
}
