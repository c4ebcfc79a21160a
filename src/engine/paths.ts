import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { TailorError } from "../errors/index.ts";

/** The repository's engine/ folder (the Python package lives in it). */
export const ENGINE_DIR = fileURLToPath(new URL("../../engine/", import.meta.url));

/** The Python interpreter that runs the engine: TAILOR_PYTHON, else the engine's own virtualenv. */
export function enginePython(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.TAILOR_PYTHON;
  if (override) {
    if (!existsSync(override)) {
      throw new TailorError({
        code: "engine_not_installed",
        message: `TAILOR_PYTHON points at ${override}, which does not exist. Unset it or point it at a Python with torch installed.`,
      });
    }
    return override;
  }
  const venv =
    process.platform === "win32"
      ? `${ENGINE_DIR}.venv\\Scripts\\python.exe`
      : `${ENGINE_DIR}.venv/bin/python`;
  if (!existsSync(venv)) {
    throw new TailorError({
      code: "engine_not_installed",
      message: `The Python engine is not installed (no ${venv}). Run \`npm install\` in the repository, or set TAILOR_PYTHON to a Python that has the engine's requirements.`,
    });
  }
  return venv;
}
