/**
 * TAILOR_SHARED_DIR: a folder every machine mounts (NFS, a cluster file system), holding the blobs,
 * models and training runs that workers with their own homes share. Unset, they live in the home.
 */
import { hostname } from "node:os";
import { join } from "node:path";

/** The folder that holds blobs, models and training runs: TAILOR_SHARED_DIR, else the home. */
export function sharedRoot(home: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.TAILOR_SHARED_DIR?.trim() || home;
}

/**
 * Where this process writes files in progress before renaming them into the shared folder (the
 * same file system, so the rename is atomic): TAILOR_HOME/tmp, or one folder per machine in the
 * shared one, so that a machine removes only its own crashed writers' leftovers.
 */
export function writeRoot(home: string): string {
  const shared = sharedRoot(home);
  return shared === home ? join(home, "tmp") : join(shared, "tmp", hostname());
}
