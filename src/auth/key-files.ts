import { statSync } from "node:fs";
import { join } from "node:path";
import { TailorError } from "../errors/index.ts";

/** TAILOR_HOME's files that hold secrets: whoever reads one may act as the server. */
export const PRIVATE_FILES = {
  "admin.key": "this machine's admin API key",
  "share.key": "the key that signs the share pages' cookies (passcode unlocks)",
  "secrets.key": "the key that decrypts every assistant's secret headers",
} as const;

/**
 * Refuses (a TailorError, code forbidden) when `file` may be read or written by anyone but its
 * owner, rather than tightening it quietly: if others could read it, the secret may be known
 * already, and its owner should decide whether to replace it.
 */
export function checkPrivateFile(file: string, what: string): void {
  if (process.platform === "win32") return;
  let mode: number;
  try {
    mode = statSync(file).mode & 0o777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw e;
  }
  if ((mode & 0o077) === 0) return;
  const octal = mode.toString(8).padStart(3, "0");
  throw new TailorError({
    code: "forbidden",
    message: `${file} holds ${what} and may be read by other users (mode ${octal}); run \`chmod 600 ${file}\` and start again. If someone else may have read it, replace it: for admin.key revoke the key (\`tailor keys list\`, \`tailor keys revoke ID\`) and delete the file, and a new one is made at start`,
    details: { file, mode: octal },
  });
}

/** Every private file in `home` checked (at the server's start): the first loose one refused. */
export function checkPrivateFiles(home: string): void {
  for (const [name, what] of Object.entries(PRIVATE_FILES))
    checkPrivateFile(join(home, name), what);
}
