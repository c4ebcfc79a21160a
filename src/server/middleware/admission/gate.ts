/**
 * How many requests the server works on at once, per kind and in all: a request past a limit is
 * refused at once (nothing waits in a line that could grow), with a Retry-After from how long
 * requests of its kind have lately taken.
 */
import { TailorError } from "../../../errors/index.ts";

/** The kinds a request is counted as: a generation (chat), an upload, or anything else. */
export type AdmissionKind = "generation" | "upload" | "other";

export interface AdmissionLimits {
  /** Requests in flight at once, of every kind (a stream counts until it ends). */
  maxInFlight: number;
  /** Generations (chat completions, responses, completions) in flight at once. */
  maxGenerations: number;
  /** File uploads in flight at once (each streams to disk). */
  maxUploads: number;
}

export const DEFAULT_ADMISSION: AdmissionLimits = {
  maxInFlight: 256,
  maxGenerations: 32,
  maxUploads: 8,
};

/** The flag of `tailor serve` that raises each limit, for the refusal's message. */
const FLAG: Record<keyof AdmissionLimits, string> = {
  maxInFlight: "--max-in-flight",
  maxGenerations: "--max-generations",
  maxUploads: "--max-uploads",
};

const LIMIT_OF: Record<AdmissionKind, keyof AdmissionLimits | null> = {
  generation: "maxGenerations",
  upload: "maxUploads",
  other: null,
};

export type Admitted = { ok: true; release: () => void };
export type Refused = { ok: false; error: TailorError; retryAfterSeconds: number };

export class AdmissionGate {
  readonly limits: AdmissionLimits;
  private total = 0;
  private readonly inFlight: Record<AdmissionKind, number> = { generation: 0, upload: 0, other: 0 };
  /** A moving average of how long each kind's requests took, in seconds. */
  private readonly seconds: Record<AdmissionKind, number> = { generation: 5, upload: 1, other: 1 };
  private readonly now: () => number;

  constructor(limits: Partial<AdmissionLimits> = {}, now: () => number = () => performance.now()) {
    this.limits = { ...DEFAULT_ADMISSION, ...limits };
    for (const [name, n] of Object.entries(this.limits)) {
      if (!Number.isInteger(n) || n < 1)
        throw new TailorError({
          code: "invalid_argument",
          message: `${name} must be a whole number above 0, got ${n}`,
          details: { field: name },
        });
    }
    this.now = now;
  }

  /** What is in flight now, per kind and in all. */
  counts(): Record<AdmissionKind | "total", number> {
    return { ...this.inFlight, total: this.total };
  }

  /** Admits a request of `kind` (its `release` must be called once it ends), or refuses it. */
  enter(kind: AdmissionKind): Admitted | Refused {
    const own = LIMIT_OF[kind];
    const full: keyof AdmissionLimits | null =
      own && this.inFlight[kind] >= this.limits[own]
        ? own
        : this.total >= this.limits.maxInFlight
          ? "maxInFlight"
          : null;
    if (full) {
      const retryAfterSeconds = Math.min(60, Math.max(1, Math.ceil(this.seconds[kind])));
      const what = full === "maxInFlight" ? "requests" : `${kind}s`;
      return {
        ok: false,
        retryAfterSeconds,
        error: new TailorError({
          code: "rate_limited",
          message:
            `the server is busy: ${this.limits[full]} ${what} are in flight, the most it takes at once ` +
            `(tailor serve ${FLAG[full]}); try again in ${retryAfterSeconds} s`,
          details: { retryAfterSeconds, limit: full },
        }),
      };
    }
    this.total += 1;
    this.inFlight[kind] += 1;
    const started = this.now();
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.total -= 1;
        this.inFlight[kind] -= 1;
        const took = (this.now() - started) / 1000;
        this.seconds[kind] = 0.8 * this.seconds[kind] + 0.2 * took;
      },
    };
  }
}
