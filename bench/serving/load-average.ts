/**
 * How busy the machine was while a benchmark ran: the 1-minute load average sampled every few
 * seconds (other sessions share these CPUs), reported as median, lowest and highest.
 */
import { readFileSync } from "node:fs";
import { median } from "../lib/python.ts";

export function sampleLoad(everyMs = 5000) {
  const samples: number[] = [];
  const read = () => samples.push(Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]));
  read();
  const timer = setInterval(read, everyMs);
  timer.unref();
  return {
    /** The samples since `from` (an index from `mark()`), or all of them. */
    summary(from = 0) {
      const xs = samples.slice(from);
      return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), samples: xs.length };
    },
    mark: () => samples.length,
    /** Takes a sample now (the timer cannot fire while a synchronous child process runs). */
    read,
    stop: () => clearInterval(timer),
  };
}
