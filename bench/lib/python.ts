/**
 * Running the benchmarks' Python contenders: the engine's interpreter, the benchmark-only packages
 * (bench/requirements.txt) installed into it when missing, the built-in model's dequantized cache
 * warmed once, and one contender per process whose last stdout line is its JSON result.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ENGINE_DIR, enginePython } from "../../src/engine/index.ts";

const BENCH_DIR = fileURLToPath(new URL("../", import.meta.url));

export function python(): string {
  return enginePython();
}

/** Installs bench/requirements.txt into the engine's Python when one of `modules` does not import. */
export function ensureBenchPackages(modules: string[]): void {
  const probe = spawnSync(python(), ["-c", modules.map((m) => `import ${m}`).join("; ")], {
    stdio: "ignore",
  });
  if (probe.status === 0) return;
  console.error("installing the benchmark's Python packages (bench/requirements.txt)");
  const install = spawnSync(
    python(),
    ["-m", "pip", "install", "-q", "-r", `${BENCH_DIR}requirements.txt`],
    { stdio: "inherit" },
  );
  if (install.status !== 0) throw new Error("pip install -r bench/requirements.txt failed");
}

/** Loads the built-in SmolLM2 once, so that its dequantized copy is cached and no run pays for it. */
export function warmModelCache(): void {
  const code =
    "import torch; from tailor_engine.model import load_base; " +
    "load_base({'kind': 'builtin', 'name': 'smollm2-135m-instruct'}, torch.device('cpu'))";
  const run = spawnSync(python(), ["-c", code], { cwd: ENGINE_DIR, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`could not load the built-in model:\n${run.stderr}`);
}

/** Runs one contender script in its own process and returns its last stdout line, parsed. */
export function runContender(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Record<string, unknown> {
  const run = spawnSync(python(), [`${BENCH_DIR}${script}`, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  const last = run.stdout.trim().split("\n").at(-1) ?? "";
  if (run.status !== 0 || !last.startsWith("{")) {
    throw new Error(
      `${script} ${args.at(-1)} failed (exit ${run.status}):\n${run.stderr.slice(-4000)}`,
    );
  }
  return JSON.parse(last) as Record<string, unknown>;
}

export const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/** The CPU's model name and the flags that decide which kernels run (AVX2/AVX-512/AMX/BF16). */
export function cpuSummary(): { model: string; cores: number; flags: string[] } {
  const run = spawnSync("cat", ["/proc/cpuinfo"], { encoding: "utf8" });
  const info = run.status === 0 ? run.stdout : "";
  const model = /model name\s*:\s*(.*)/.exec(info)?.[1] ?? "unknown";
  const flags = (/^flags\s*:\s*(.*)$/m.exec(info)?.[1] ?? "").split(/\s+/);
  const wanted = flags.filter((f) => /^(avx2|fma|f16c|avx512.*|amx.*|avx_vnni.*)$/.test(f));
  const cores = (info.match(/^processor\s*:/gm) ?? []).length;
  return { model, cores, flags: wanted };
}
