import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { copyFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * A content-addressed store: each blob lives at blobs/sha256/ab/cdef… named by its own hash, written
 * to a temporary name first and renamed into place, so a crash never leaves a half blob behind.
 */
export class BlobStore {
  readonly root: string;

  constructor(home: string) {
    this.root = join(home, "blobs", "sha256");
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
      mkdirSync(join(this.root, sha256.slice(0, 2)), { recursive: true });
      const tmp = `${target}.tmp-${randomBytes(4).toString("hex")}`;
      await copyFile(file, tmp);
      renameSync(tmp, target);
    }
    return { sha256, size: statSync(target).size };
  }

  delete(hash: string): void {
    rmSync(this.path(hash), { force: true });
  }
}
