import { existsSync, readdirSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { TailorError } from "../errors/index.ts";

/**
 * The memory allocator the engine runs with. PyTorch on the CPU allocates and frees the same large
 * buffers at every step, and glibc's malloc hands them back to the kernel and faults them in again;
 * mimalloc keeps them (bench/README.md, "Training speed, round 2": about 1.45x the tokens/s of a
 * LoRA step on short examples, with less peak memory). npm install brings mimalloc's shared library
 * into the engine's virtualenv (engine/requirements-nodeps.txt: cmeel-mimalloc), and every engine
 * process starts with it preloaded.
 *
 * TAILOR_ALLOCATOR: unset or `mimalloc` (the default: mimalloc when it is installed, else the system's
 * malloc), `system` (glibc's malloc), or the absolute path of another allocator's shared library
 * (e.g. /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4). An LD_PRELOAD already set is left as it
 * is. Only on Linux: elsewhere the engine keeps the system's allocator.
 */
export function allocatorEnv(
  python: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): Record<string, string> {
  const wanted = env.TAILOR_ALLOCATOR?.trim() || "mimalloc";
  if (platform !== "linux" || wanted === "system" || env.LD_PRELOAD) return {};
  if (wanted === "mimalloc") {
    const lib = mimallocLibrary(python);
    if (!lib) return {};
    // never hand freed pages back to the kernel: the next step would fault them in again; and no
    // transparent huge pages, whose first touch cost 10-15 ms of kernel time each on a VM here (about
    // a fifth of a short step's time; bench/README.md)
    return {
      LD_PRELOAD: lib,
      MIMALLOC_PURGE_DELAY: env.MIMALLOC_PURGE_DELAY ?? "-1",
      MIMALLOC_ALLOW_THP: env.MIMALLOC_ALLOW_THP ?? "0",
    };
  }
  if (!isAbsolute(wanted) || !existsSync(wanted)) {
    throw new TailorError({
      code: "invalid_argument",
      message: `TAILOR_ALLOCATOR=${wanted}: give mimalloc, system, or the absolute path of an allocator's shared library that exists (e.g. /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4).`,
    });
  }
  return { LD_PRELOAD: wanted };
}

const found = new Map<string, string | null>();

/** libmimalloc.so in the site-packages of `python`'s environment (where cmeel-mimalloc puts it). */
export function mimallocLibrary(python: string): string | null {
  const cached = found.get(python);
  if (cached !== undefined) return cached;
  const lib = join(dirname(dirname(python)), "lib");
  let hit: string | null = null;
  try {
    for (const version of readdirSync(lib).filter((d) => d.startsWith("python"))) {
      const candidate = join(
        lib,
        version,
        "site-packages",
        "cmeel.prefix",
        "lib",
        "libmimalloc.so",
      );
      if (existsSync(candidate)) {
        hit = candidate;
        break;
      }
    }
  } catch {
    // not a virtualenv's layout (a system Python via TAILOR_PYTHON): the system's allocator
  }
  found.set(python, hit);
  return hit;
}
