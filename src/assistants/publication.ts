/**
 * What publishing needs besides the row: a share slug made from the assistant's name, and passcodes
 * kept as scrypt hashes (salt and cost in the stored string) and checked in constant time.
 */
import { randomBytes, randomInt, scryptSync, timingSafeEqual } from "node:crypto";

const ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const LOWER = "abcdefghijklmnopqrstuvwxyz0123456789";

/** `length` characters drawn uniformly from `alphabet` (crypto.randomInt, no modulo bias). */
export function randomChars(length: number, alphabet: string): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** `asst_` and 24 random letters and digits. */
export const newAssistantId = () => `asst_${randomChars(24, ALPHANUMERIC)}`;

/** "Course Tutor (Français)" -> "course-tutor-francais-k3x9": lowercase letters, digits and -, and 4 random characters. */
export function newSlug(name: string): string {
  const base =
    name
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 40)
      .replace(/-+$/, "") || "assistant";
  return `${base}-${randomChars(4, LOWER)}`;
}

const SCRYPT = { N: 16384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

/** `scrypt$N$r$p$salt$hash` (salt and hash in base64). */
export function hashPasscode(passcode: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(passcode.normalize("NFC"), salt, KEY_LENGTH, SCRYPT);
  return ["scrypt", SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString("base64"), hash.toString("base64")]
    .map(String)
    .join("$");
}

/** Whether `passcode` is the one `stored` was made from (false for anything unreadable). */
export function passcodeMatches(stored: string, passcode: string): boolean {
  const [kind, n, r, p, salt, hash] = stored.split("$");
  if (kind !== "scrypt" || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64");
  const params = { N: Number(n), r: Number(r), p: Number(p), maxmem: 256 * 1024 * 1024 };
  if (![params.N, params.r, params.p].every(Number.isSafeInteger) || expected.length === 0)
    return false;
  const actual = scryptSync(
    passcode.normalize("NFC"),
    Buffer.from(salt, "base64"),
    expected.length,
    params,
  );
  return timingSafeEqual(actual, expected);
}
