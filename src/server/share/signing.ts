/**
 * The share pages' cookies are signed (HMAC-SHA256) with a key kept in TAILOR_HOME/share.key:
 * 32 random bytes, mode 0600, made on first use (as the secrets key is). A cookie a visitor edits,
 * or one made by another Tailor, fails the check and is treated as absent.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import {
  chmodSync,
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";

export const SHARE_KEY_FILE = "share.key";

/** The key in `home`, made (0600) if there is none; a second process racing us reads ours. */
export function shareKey(home: string): Buffer {
  const path = join(home, SHARE_KEY_FILE);
  const read = (): Buffer | null => {
    try {
      const hex = readFileSync(path, "utf8").trim();
      return /^[0-9a-f]{64}$/.test(hex) ? Buffer.from(hex, "hex") : null;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw e;
    }
  };
  const existing = read();
  if (existing) {
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    return existing;
  }
  mkdirSync(home, { recursive: true });
  const key = randomBytes(32);
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    const theirs = read();
    if (theirs) return theirs;
    throw new Error(`${path} exists but holds no key: delete it and restart the server`);
  }
  try {
    writeSync(fd, `${key.toString("hex")}\n`);
  } finally {
    closeSync(fd);
  }
  chmodSync(path, 0o600); // openSync's mode is filtered by the umask; this makes it exact
  return key;
}

/** Signs and checks short values (`value.signature`, base64url). */
export class Signer {
  private key: Buffer | null = null;

  /** `key` is asked for on first use (a server that never serves a share page makes no file). */
  constructor(private readonly getKey: () => Buffer) {}

  private mac(purpose: string, value: string): string {
    this.key ??= this.getKey();
    return createHmac("sha256", this.key).update(`${purpose}\0${value}`).digest("base64url");
  }

  /** `purpose` keeps one kind of cookie from being replayed as another. */
  sign(purpose: string, value: string): string {
    return `${value}.${this.mac(purpose, value)}`;
  }

  /** The value when the signature is right, else null. */
  verify(purpose: string, signed: string | undefined | null): string | null {
    if (!signed) return null;
    const dot = signed.lastIndexOf(".");
    if (dot <= 0) return null;
    const value = signed.slice(0, dot);
    const given = Buffer.from(signed.slice(dot + 1));
    const want = Buffer.from(this.mac(purpose, value));
    return given.length === want.length && timingSafeEqual(given, want) ? value : null;
  }
}
