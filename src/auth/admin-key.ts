import { randomBytes } from "node:crypto";
import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { checkPrivateFile, PRIVATE_FILES } from "./key-files.ts";
import type { ApiKey, KeyStore } from "./keys.ts";

/** The file in TAILOR_HOME that holds this machine's admin key, readable by its owner only. */
export const ADMIN_KEY_FILE = "admin.key";
/** The name (and owner) of the admin key the server makes on first start. */
export const LOCAL_ADMIN = "local-admin";

/** The admin key written in TAILOR_HOME/admin.key, or null when there is none yet. */
export function readLocalAdminKey(home: string): string | null {
  try {
    return readFileSync(join(home, ADMIN_KEY_FILE), "utf8").trim() || null;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

/** Writes `content` to `path` with mode 0600: a temp file beside it, fsync, rename. */
function writePrivateFile(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const fd = openSync(tmp, "wx", 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    chmodSync(tmp, 0o600); // openSync's mode is filtered by the umask; this makes it exact
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * This machine's admin key: the one in TAILOR_HOME/admin.key when it still verifies as an admin
 * key (refused when others may read the file: see checkPrivateFile), else a new one written there
 * (mode 0600, atomically). The check and the write happen while
 * holding the database's write lock, so a server and a CLI starting together make one key.
 */
export function ensureAdminKey(
  home: string,
  keys: KeyStore,
): { key: string; record: ApiKey; created: boolean } {
  mkdirSync(home, { recursive: true });
  return keys.db
    .transaction(() => {
      const path = join(home, ADMIN_KEY_FILE);
      const existing = readLocalAdminKey(home);
      const record = existing ? keys.verify(existing) : null;
      if (existing && record?.role === "admin") {
        checkPrivateFile(path, PRIVATE_FILES[ADMIN_KEY_FILE]); // loose: refused, not tightened
        return { key: existing, record, created: false };
      }
      const made = keys.create({ name: LOCAL_ADMIN, role: "admin" });
      writePrivateFile(path, `${made.key}\n`);
      return { ...made, created: true };
    })
    .immediate();
}
