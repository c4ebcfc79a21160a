import type { EngineMessageOf } from "../../protocol/index.ts";
import { engineResult } from "./process.ts";

export type DoctorReport = EngineMessageOf<"doctor">;

/** What the engine sees of this machine: Python, its packages, the device, threads, built-in models. */
export function doctor(): Promise<DoctorReport> {
  return engineResult("doctor", {}, "doctor");
}
