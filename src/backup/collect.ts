/**
 * What of TAILOR_HOME a backup takes: everything a person's work needs (the keys, blobs, models,
 * runs with their checkpoints, exports, reports and any other file there) except the database's own
 * files (the online backup copies the database), caches that are rebuilt on demand, and writes still
 * in progress.
 */
import { lstatSync, readdirSync, realpathSync, type Stats, statSync } from "node:fs";
import { join, resolve } from "node:path";

/** Top-level entries never copied as files: the database (copied through SQLite) and rebuildable state. */
export const EXCLUDED_TOP = [
  "tailor.db",
  "tailor.db-wal",
  "tailor.db-shm",
  "tailor.db-journal",
  "cache", // GGUF conversions, the base models' general-set answers, drift baselines: rebuilt on demand
  "tmp", // writes in progress (and this backup's own staging folder)
] as const;

/** Temporary names used by the writers of the store (written aside, then renamed into place). */
export function isTemporary(name: string): boolean {
  return name.startsWith(".tmp") || name.endsWith(".tmp") || /\.tmp-[0-9a-z]+$/i.test(name);
}

export interface HomeFile {
  /** Relative to the home, with forward slashes. */
  rel: string;
  /** The file to read (a symbolic link's target). */
  abs: string;
  stat: Stats;
}

/**
 * The files of `home` a backup takes, in the order they are best copied: runs first (checkpoints
 * are pruned as training goes on, so they are taken closest to the database's snapshot), then the
 * rest. `skip` holds absolute paths to leave out (the archive being written, when it is inside).
 */
export function collect(
  home: string,
  skip: Set<string>,
): { files: HomeFile[]; excluded: string[] } {
  const files: HomeFile[] = [];
  const excluded: string[] = [];
  const walk = (dir: string, rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return; // removed while we walked
      throw e;
    }
    for (const name of names) {
      const abs = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      if (!rel && (EXCLUDED_TOP as readonly string[]).includes(name)) {
        excluded.push(name);
        continue;
      }
      if (isTemporary(name) || skip.has(resolve(abs))) {
        excluded.push(r);
        continue;
      }
      let st: Stats;
      try {
        st = lstatSync(abs);
        if (st.isSymbolicLink()) {
          const target = realpathSync(abs);
          st = statSync(target);
          if (st.isDirectory()) walk(target, r);
          else if (st.isFile()) files.push({ rel: r, abs: target, stat: st });
          continue;
        }
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw e;
      }
      if (st.isDirectory()) walk(abs, r);
      else if (st.isFile()) files.push({ rel: r, abs, stat: st });
      else excluded.push(r); // sockets, pipes
    }
  };
  walk(home, "");
  const runsFirst = (f: HomeFile) => (f.rel.startsWith("runs/") ? 0 : 1);
  files.sort((a, b) => runsFirst(a) - runsFirst(b));
  return { files, excluded };
}

/** `runs/ftjob-…/checkpoints/step-N`: a checkpoint folder, kept whole or not at all. */
export function checkpointOf(rel: string): string | null {
  const m = /^(runs\/[^/]+\/checkpoints\/step-\d+)\//.exec(rel);
  return m?.[1] ?? null;
}
