import { writeSync } from "node:fs";

/** The environment variable that names the point a crash test wants a process stopped at. */
export const PAUSE_ENV = "TAILOR_TEST_PAUSE_AT";

/**
 * A hook for the crash tests (src/store/crash-*.e2e.test.ts): when TAILOR_TEST_PAUSE_AT names
 * `point`, the process says `tailor: paused at <point>` on stderr and then blocks for good, in the
 * middle of its write, so that the test can kill it there with SIGKILL. Without that variable (a
 * real run) it does nothing. The points: `migration-N` (schema step N applied, not yet committed),
 * `blob-copied` (a blob's bytes in TAILOR_HOME/tmp, not yet renamed into place),
 * `dataset-stored` (a dataset version's row written, not yet committed; an upload's file row not
 * yet written), `model-made` (a new model complete in its hidden folder, not yet renamed into place).
 */
export function pauseForTest(point: string): void {
  if (process.env[PAUSE_ENV] !== point) return;
  writeSync(2, `tailor: paused at ${point}\n`);
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (;;) Atomics.wait(cell, 0, 0, 60_000);
}
