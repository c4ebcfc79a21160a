/**
 * Whether chat models answer through llama.cpp, and how it runs, from the environment:
 * `TAILOR_LLAMA=off` (all chat through the PyTorch engine), `TAILOR_LLAMA_THREADS` (CPU threads,
 * default: the machine's cores), `TAILOR_LLAMA_SEQUENCES` (requests answered at once per model,
 * default 8), `TAILOR_LLAMA_QUEUE` (requests waiting beyond those before a 429, default 32).
 */
import { availableParallelism } from "node:os";
import { TailorError } from "../errors/index.ts";

export type LlamaServing =
  | { on: true; threads: number; sequences: number; maxQueue: number }
  /** Off, and why (in words: what the models' serving info says). */
  | { on: false; reason: string };

export const LLAMA_DEFAULTS = { sequences: 8, maxQueue: 32 } as const;

/** What the settings say, read from `env` (TAILOR_LLAMA and its three numbers). */
export function llamaServingFromEnv(env: NodeJS.ProcessEnv = process.env): LlamaServing {
  const switch_ = (env.TAILOR_LLAMA ?? "").trim().toLowerCase();
  if (["off", "0", "false", "no"].includes(switch_)) {
    return { on: false, reason: "llama.cpp is off on this server (TAILOR_LLAMA=off)" };
  }
  if (!["", "on", "1", "true", "yes"].includes(switch_)) {
    throw new TailorError({
      code: "invalid_argument",
      message: `TAILOR_LLAMA is '${env.TAILOR_LLAMA}'; set it to 'off' to answer every chat through the PyTorch engine, or leave it unset (llama.cpp on)`,
      details: { field: "TAILOR_LLAMA" },
    });
  }
  return {
    on: true,
    threads: count(env, "TAILOR_LLAMA_THREADS", availableParallelism(), 1),
    sequences: count(env, "TAILOR_LLAMA_SEQUENCES", LLAMA_DEFAULTS.sequences, 1),
    maxQueue: count(env, "TAILOR_LLAMA_QUEUE", LLAMA_DEFAULTS.maxQueue, 0),
  };
}

function count(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    throw new TailorError({
      code: "invalid_argument",
      message: `${name} is '${raw}'; it must be a whole number of at least ${min} (unset: ${fallback})`,
      details: { field: name },
    });
  }
  return n;
}
