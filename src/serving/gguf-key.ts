/**
 * The name of a model's exported GGUF copy in the cache: a hash of what the copy is made of, so a
 * changed adapter (or a base folder whose weights changed) gets a new copy and the old one is never
 * served for it. The adapter's weights and tokenizer are hashed by content; a base folder or file by
 * its files' sizes and times (hashing gigabytes on each request would cost more than it saves).
 * Hashes are remembered per file state, so a request costs a few `stat`s.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ModelSource } from "../../protocol/index.ts";

/** Bumped when what an export writes changes, so older copies are built again. */
const COPY_FORMAT = 1;

/** The adapter's files that make the merged model: weights, their config, tokenizer, template. */
const ADAPTER_FILE =
  /^(.*\.safetensors|adapter_config\.json|tokenizer(_config)?\.json|special_tokens_map\.json|chat_template\.(jinja|json)|vocab\.json|merges\.txt)$/;

export interface CopyOf {
  source: ModelSource;
  adapterDir?: string | undefined;
}

export class GgufKeys {
  readonly #hashes = new Map<string, { stamp: string; hash: string }>();

  /** The cache key of `model`'s GGUF copy in `quantization`. */
  key(model: CopyOf, quantization: string): string {
    const parts = {
      format: COPY_FORMAT,
      quantization,
      base: model.source,
      baseFiles: baseStamp(model.source),
      adapter: model.adapterDir ? this.#adapterHash(model.adapterDir) : null,
    };
    return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 32);
  }

  #adapterHash(dir: string): string {
    const files = listFiles(dir).filter((f) => ADAPTER_FILE.test(f.name));
    const stamp = files.map((f) => `${f.name}:${f.size}:${f.mtimeMs}`).join("|");
    const known = this.#hashes.get(dir);
    if (known?.stamp === stamp) return known.hash;
    const h = createHash("sha256");
    for (const f of files) h.update(`${f.name}\0`).update(readFileSync(join(dir, f.name)));
    const hash = h.digest("hex");
    this.#hashes.set(dir, { stamp, hash });
    return hash;
  }
}

interface FileStamp {
  name: string;
  size: number;
  mtimeMs: number;
}

function listFiles(dir: string): FileStamp[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const s = statSync(join(dir, e.name));
      return { name: e.name, size: s.size, mtimeMs: s.mtimeMs };
    })
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** The base's files as they are now (a folder's or a file's sizes and times). */
function baseStamp(source: ModelSource): string | null {
  if (source.kind === "hf_dir") {
    return listFiles(source.path)
      .map((f) => `${f.name}:${f.size}:${f.mtimeMs}`)
      .join("|");
  }
  if (source.kind === "gguf" && existsSync(source.path)) {
    const s = statSync(source.path);
    return `${s.size}:${s.mtimeMs}`;
  }
  return null; // built-in (versioned with the package) or a Hub id (its revision is in the source)
}
