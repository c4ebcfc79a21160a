/**
 * `tailor migrate --shared DIR`: copies a home's blobs, models and training runs into the shared
 * folder workers on several machines use (TAILOR_SHARED_DIR), each file through a temporary name
 * and a rename, then reads every copy back and compares its sha256 with the original's.
 */
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { TailorError } from "../errors/index.ts";

/** What lives in the shared folder rather than in each home. */
export const SHARED_FOLDERS = ["blobs", "models", "runs"] as const;

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

/**
 * Copies `home`'s shared folders into `shared`; a file already there must be the same bytes (a
 * second run after an interrupted one goes on). Returns the files and bytes copied and checked.
 */
export function copyShared(
  home: string,
  shared: string,
  onFile: (done: number, total: number) => void = () => {},
): { files: number; bytes: number } {
  const files = SHARED_FOLDERS.flatMap((f) => filesUnder(join(home, f)));
  let bytes = 0;
  files.forEach((source, i) => {
    const rel = relative(home, source);
    const target = join(shared, rel);
    const want = sha256(source);
    if (!existsSync(target)) {
      mkdirSync(dirname(target), { recursive: true });
      const tmp = `${target}.tmp-${process.pid}`;
      copyFileSync(source, tmp);
      renameSync(tmp, target);
    }
    if (sha256(target) !== want)
      throw new TailorError({
        code: "conflict",
        message: `${target} differs from ${source} (sha256); the shared folder holds another file under that name: move it away or choose an empty folder`,
        details: { field: "shared" },
      });
    bytes += lstatSync(source).size;
    onFile(i + 1, files.length);
  });
  return { files: files.length, bytes };
}
