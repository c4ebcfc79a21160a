import { createHash } from "node:crypto";
import { once } from "node:events";
import {
  closeSync,
  createReadStream,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { copyFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { sharedRoot } from "./shared.ts";
import { tempDir, tempName } from "./temp.ts";
import { pauseForTest } from "./test-pause.ts";

/** Flushes a file (or a folder's entries) to the disk, so that a power loss keeps it too. */
export function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * A content-addressed store: each blob lives at blobs/sha256/ab/cdef… named by its own hash. It is
 * copied to TAILOR_HOME/tmp first (named after this process, so the next start removes it if this
 * process dies), flushed to disk and renamed into place: a crash never leaves a half blob behind.
 */
export class BlobStore {
  readonly root: string;
  private readonly home: string;

  constructor(home: string) {
    this.home = home;
    this.root = join(sharedRoot(home), "blobs", "sha256");
  }

  path(hash: string): string {
    return join(this.root, hash.slice(0, 2), hash.slice(2));
  }

  has(hash: string): boolean {
    return existsSync(this.path(hash));
  }

  /** Copies a file in; returns its sha256. */
  async putFile(file: string): Promise<{ sha256: string; size: number }> {
    const hash = createHash("sha256");
    const stream = createReadStream(file);
    stream.on("data", (chunk) => hash.update(chunk));
    await once(stream, "end");
    const sha256 = hash.digest("hex");
    const target = this.path(sha256);
    if (!existsSync(target)) {
      mkdirSync(dirname(target), { recursive: true });
      const tmp = join(tempDir(this.home), tempName("blob"));
      try {
        await copyFile(file, tmp);
        fsyncPath(tmp);
        pauseForTest("blob-copied");
        renameSync(tmp, target);
        fsyncPath(dirname(target));
      } finally {
        rmSync(tmp, { force: true });
      }
    }
    return { sha256, size: statSync(target).size };
  }

  delete(hash: string): void {
    rmSync(this.path(hash), { force: true });
  }
}
