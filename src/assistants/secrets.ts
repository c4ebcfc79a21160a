/**
 * Secret header values encrypted at rest (AES-256-GCM) with a key kept in TAILOR_HOME/secrets.key
 * (32 random bytes, mode 0600, made on first use). A key file that others may read is refused:
 * whoever reads it reads every secret.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import {
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { TailorError } from "../errors/index.ts";

export const SECRETS_KEY_FILE = "secrets.key";
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ALGORITHM = "aes-256-gcm";

export class SecretBox {
  #key: Buffer | null = null;

  constructor(readonly home: string) {}

  get keyFile(): string {
    return join(this.home, SECRETS_KEY_FILE);
  }

  /** base64 of iv | tag | ciphertext. */
  seal(plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.#keyBytes(), iv);
    const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
  }

  /** The clear value, or a TailorError when the key is not the one it was sealed with or it was altered. */
  open(sealed: string): string {
    const raw = Buffer.from(sealed, "base64");
    if (raw.length < IV_BYTES + TAG_BYTES) throw this.#unreadable();
    const decipher = createDecipheriv(ALGORITHM, this.#keyBytes(), raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([
        decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]).toString("utf8");
    } catch (cause) {
      throw this.#unreadable(cause);
    }
  }

  #unreadable(cause?: unknown): TailorError {
    return new TailorError({
      code: "internal",
      message: `a stored secret could not be decrypted with ${this.keyFile}: it was sealed with another key (was the file replaced or restored from elsewhere?) or the stored value was altered; send the secret header's value again to store it anew`,
      cause,
    });
  }

  #keyBytes(): Buffer {
    if (this.#key) return this.#key;
    const file = this.keyFile;
    if (!existsSync(file)) this.#create(file);
    this.#checkMode(file);
    const key = readFileSync(file);
    if (key.length !== KEY_BYTES) {
      throw new TailorError({
        code: "internal",
        message: `${file} holds ${key.length} bytes, not a ${KEY_BYTES}-byte key; restore it from a backup (without it the stored secrets cannot be read)`,
        details: { file },
      });
    }
    this.#key = key;
    return key;
  }

  /**
   * Writes a new key atomically: a temp file (0600) linked into place, so that two processes
   * starting at once both end with the one key that won (a rename would let the second replace it).
   */
  #create(file: string): void {
    mkdirSync(this.home, { recursive: true });
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
    writeFileSync(tmp, randomBytes(KEY_BYTES), { mode: 0o600, flag: "wx" });
    try {
      linkSync(tmp, file);
      unlinkSync(tmp);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EEXIST") unlinkSync(tmp);
      else renameSync(tmp, file); // a filesystem without hard links
    }
  }

  #checkMode(file: string): void {
    if (process.platform === "win32") return;
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new TailorError({
        code: "internal",
        message: `${file} may be read by other users (mode ${mode.toString(8).padStart(3, "0")}); it decrypts every assistant's secret headers: run \`chmod 600 ${file}\``,
        details: { file },
      });
    }
  }
}
