/**
 * Reads a backup archive through once, hashing every file as it streams by and, when asked, writing
 * it under a folder, then checks what it read against the manifest. Nothing is trusted before the
 * whole archive has been read: the caller puts the folder in place only when no problem was found.
 */
import { createHash } from "node:crypto";
import { closeSync, createReadStream, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { Parser, type ReadEntry } from "tar";
import { BackupManifest, MANIFEST_FILE, MANIFEST_HASH_FILE, safeRelativePath } from "./manifest.ts";

export interface ArchiveCheck {
  /** The manifest, when one was found and it parsed. */
  manifest: BackupManifest | null;
  /** What is wrong, one line each, naming the file; empty when the archive is whole. */
  problems: string[];
  files: number;
  bytes: number;
}

export interface ReadOptions {
  /** Write each file under this folder (which must exist) as it is read. */
  extractTo?: string | undefined;
  /** Bytes read so far, after each chunk. */
  onBytes?: ((bytes: number) => void) | undefined;
}

interface Seen {
  size: number;
  sha256: string;
}

export async function readArchive(file: string, opts: ReadOptions = {}): Promise<ArchiveCheck> {
  const seen = new Map<string, Seen>();
  const problems: string[] = [];
  let manifestBytes: Buffer | null = null;
  let manifestHash: string | null = null;
  let bytes = 0;

  const onReadEntry = (entry: ReadEntry): void => {
    const path = entry.path.replace(/\/$/, "");
    const problem = entryProblem(entry.type, path, seen);
    if (problem !== null || entry.type === "Directory") {
      if (problem) problems.push(problem);
      entry.resume();
      return;
    }
    const isMeta = path === MANIFEST_FILE || path === MANIFEST_HASH_FILE;
    const hash = createHash("sha256");
    const chunks: Buffer[] = [];
    let size = 0;
    let fd: number | null = null;
    if (opts.extractTo && !isMeta) {
      const target = join(opts.extractTo, path);
      mkdirSync(dirname(target), { recursive: true });
      fd = openSync(target, "wx", 0o600);
    }
    entry.on("data", (chunk: Buffer) => {
      hash.update(chunk);
      size += chunk.length;
      bytes += chunk.length;
      if (isMeta) chunks.push(chunk);
      if (fd !== null) writeSync(fd, chunk);
      opts.onBytes?.(bytes);
    });
    entry.on("end", () => {
      if (fd !== null) closeSync(fd);
      if (path === MANIFEST_FILE) manifestBytes = Buffer.concat(chunks);
      else if (path === MANIFEST_HASH_FILE)
        manifestHash = Buffer.concat(chunks).toString("utf8").trim();
      seen.set(path, { size, sha256: hash.digest("hex") });
    });
  };

  try {
    await new Promise<void>((resolve, reject) => {
      const parser = new Parser({ strict: true, onReadEntry });
      parser.on("end", () => resolve());
      parser.on("error", reject);
      const stream = createReadStream(file);
      stream.on("error", reject);
      stream.pipe(parser);
    });
  } catch (e) {
    problems.push(`the archive cannot be read to its end: ${(e as Error).message}`);
  }

  const manifest = checkManifest(manifestBytes, manifestHash, seen.get(MANIFEST_FILE), problems);
  if (manifest) {
    const listed = new Set<string>();
    for (const f of manifest.files) {
      listed.add(f.path);
      const got = seen.get(f.path);
      if (!got) problems.push(`${f.path}: missing from the archive`);
      else if (got.size !== f.size)
        problems.push(`${f.path}: ${got.size} bytes, the manifest says ${f.size}`);
      else if (got.sha256 !== f.sha256)
        problems.push(`${f.path}: sha256 ${got.sha256}, the manifest says ${f.sha256}`);
    }
    for (const path of seen.keys())
      if (!listed.has(path) && path !== MANIFEST_FILE && path !== MANIFEST_HASH_FILE)
        problems.push(`${path}: in the archive but not in its manifest`);
  }
  return { manifest, problems, files: seen.size, bytes };
}

/** Why an entry cannot be taken (null: it can). */
function entryProblem(type: string, path: string, seen: Map<string, Seen>): string | null {
  if (type === "Directory") return null;
  if (type !== "File" && type !== "OldFile" && type !== "ContiguousFile")
    return `${path}: a ${type} entry, which a Tailor backup never holds`;
  if (!safeRelativePath(path)) return `${path}: a path outside the home`;
  if (seen.has(path)) return `${path}: in the archive twice`;
  return null;
}

function checkManifest(
  raw: Buffer | null,
  expected: string | null,
  seen: Seen | undefined,
  problems: string[],
): BackupManifest | null {
  if (!raw || !seen) {
    problems.push(`${MANIFEST_FILE}: missing (this is not a Tailor backup, or it is cut short)`);
    return null;
  }
  if (expected === null) problems.push(`${MANIFEST_HASH_FILE}: missing (the archive is cut short)`);
  else if (expected !== seen.sha256)
    problems.push(
      `${MANIFEST_FILE}: sha256 ${seen.sha256}, ${MANIFEST_HASH_FILE} says ${expected}`,
    );
  let json: unknown;
  try {
    json = JSON.parse(raw.toString("utf8"));
  } catch {
    problems.push(`${MANIFEST_FILE}: not valid JSON`);
    return null;
  }
  const parsed = BackupManifest.safeParse(json);
  if (!parsed.success) {
    problems.push(
      `${MANIFEST_FILE}: not a Tailor backup manifest (${parsed.error.issues[0]?.message})`,
    );
    return null;
  }
  return parsed.data;
}
