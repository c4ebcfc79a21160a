#!/usr/bin/env node
/**
 * `npm install` runs this: it creates the engine's virtualenv (engine/.venv) with `python3 -m venv`
 * and installs the pinned requirements. It skips the work when the requirements have not changed
 * since the last successful install, and says clearly what to do when Python is missing.
 *
 * TAILOR_PYTHON=/path/to/python uses an existing interpreter instead (e.g. one with a CUDA torch);
 * nothing is installed into it, it is only checked.
 * TAILOR_SKIP_ENGINE=1 skips the engine entirely.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const engine = fileURLToPath(new URL("../engine/", import.meta.url));
const venv = `${engine}.venv`;
const venvPython =
  process.platform === "win32" ? `${venv}\\Scripts\\python.exe` : `${venv}/bin/python`;
const stampFile = `${venv}/.tailor-requirements.sha256`;
const inputs = ["requirements.txt", "requirements-nodeps.txt", "requirements.lock"];
const MIN_PYTHON = [3, 10];

function step(message) {
  console.log(`[tailor engine] ${message}`);
}

function fail(message) {
  console.error(`\n[tailor engine] ERROR: ${message}\n`);
  process.exit(1);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: "inherit" });
  if (r.error) fail(`could not run ${cmd}: ${r.error.message}`);
  if (r.status !== 0)
    fail(`\`${cmd} ${args.join(" ")}\` failed (exit code ${r.status}); see the output above.`);
}

function pythonVersion(cmd) {
  const r = spawnSync(cmd, ["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"], {
    encoding: "utf8",
  });
  if (r.error || r.status !== 0) return null;
  return r.stdout.trim();
}

const REQUIRED_MODULES = ["torch", "transformers", "peft", "safetensors", "gguf", "jsonschema"];

if (process.env.TAILOR_SKIP_ENGINE === "1") {
  step("TAILOR_SKIP_ENGINE=1: not setting up the Python engine");
  process.exit(0);
}

if (process.env.TAILOR_PYTHON) {
  const py = process.env.TAILOR_PYTHON;
  step(`using TAILOR_PYTHON=${py}`);
  const check = spawnSync(py, ["-c", `import ${REQUIRED_MODULES.join(", ")}`], {
    encoding: "utf8",
  });
  if (check.error) fail(`TAILOR_PYTHON=${py} cannot be run: ${check.error.message}`);
  if (check.status !== 0) {
    fail(
      `TAILOR_PYTHON=${py} lacks some of the engine's packages:\n${check.stderr.trim().split("\n").pop()}\n` +
        `Install them into it with:\n  ${py} -m pip install -r engine/requirements.txt -c engine/requirements.lock && ${py} -m pip install --no-deps -r engine/requirements-nodeps.txt`,
    );
  }
  step("TAILOR_PYTHON has the engine's packages");
  process.exit(0);
}

const digest = createHash("sha256");
for (const f of inputs) digest.update(readFileSync(`${engine}${f}`));
const want = digest.digest("hex");

if (
  existsSync(venvPython) &&
  existsSync(stampFile) &&
  readFileSync(stampFile, "utf8").trim() === want
) {
  step("engine/.venv is up to date (requirements unchanged)");
  process.exit(0);
}

const candidates =
  process.platform === "win32" ? ["py", "python", "python3"] : ["python3", "python"];
const python = candidates.find((c) => {
  const v = pythonVersion(c);
  if (!v) return false;
  const [major, minor] = v.split(".").map(Number);
  return major === MIN_PYTHON[0] && minor >= MIN_PYTHON[1];
});
if (!python) {
  fail(
    `Python ${MIN_PYTHON.join(".")} or newer was not found (tried ${candidates.join(", ")}).\n` +
      "Install it (e.g. `apt-get install python3 python3-venv`, or from python.org) and run `npm install` again,\n" +
      "or set TAILOR_PYTHON to an interpreter that already has torch, transformers and peft.",
  );
}

if (!existsSync(venvPython)) {
  step(`creating engine/.venv with ${python} (${pythonVersion(python)})`);
  const r = spawnSync(python, ["-m", "venv", venv], { stdio: "inherit" });
  if (r.status !== 0) {
    rmSync(venv, { recursive: true, force: true });
    fail(
      `\`${python} -m venv\` failed. On Debian/Ubuntu install the venv module: apt-get install python3-venv`,
    );
  }
}

step(
  "installing the engine's requirements (PyTorch is large: the first install takes a few minutes)",
);
const pip = [venvPython, "-m", "pip", "--disable-pip-version-check"];
run(pip[0], [
  ...pip.slice(1),
  "install",
  "-r",
  `${engine}requirements.txt`,
  "-c",
  `${engine}requirements.lock`,
]);
run(pip[0], [...pip.slice(1), "install", "--no-deps", "-r", `${engine}requirements-nodeps.txt`]);
writeFileSync(stampFile, `${want}\n`);
step("engine ready");
