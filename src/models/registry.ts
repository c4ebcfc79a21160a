import {
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import {
  BUILTIN_MODELS,
  type BuiltinModelName,
  type ModelKind,
  type ModelOrigin,
  type ModelSource,
} from "../../protocol/index.ts";
import { TailorError } from "../errors/index.ts";
import { sharedRoot } from "../store/shared.ts";
import { tailorHome } from "./home.ts";
import { MANIFEST_FILE, ModelManifest, ModelName } from "./manifest.ts";

export interface ModelEntry {
  name: string;
  kind: ModelKind;
  origin: ModelOrigin;
  /** The model's folder (fine-tuned: the adapter); null for built-ins, which live in a package. */
  path: string | null;
  description: string;
  created_at: number | null;
  manifest: ModelManifest | null;
}

/** What the engine needs to run a model: the base's weights, and an adapter if fine-tuned. */
export interface ResolvedModel {
  name: string;
  source: ModelSource;
  adapterDir?: string;
}

const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

export class ModelRegistry {
  readonly dir: string;

  constructor(home: string = tailorHome()) {
    this.dir = join(sharedRoot(home), "models");
  }

  /**
   * The folder of the model `name`, always directly inside TAILOR_HOME/models: a name that is not
   * a model name (`..`, `a/b`, a NUL) is refused, so no caller can reach outside by mistake.
   */
  modelDir(name: string): string {
    if (!isModelName(name)) {
      throw new TailorError({
        code: "invalid_argument",
        message: `'${name.slice(0, 140)}' is not a model name: use 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit`,
        details: { field: "model" },
      });
    }
    return join(this.dir, name.replaceAll(":", "_"));
  }

  list(): ModelEntry[] {
    const builtins: ModelEntry[] = Object.entries(BUILTIN_MODELS).map(([name, m]) => ({
      name,
      kind: "base",
      origin: "builtin",
      path: null,
      description: m.description,
      created_at: null,
      manifest: null,
    }));
    if (!existsSync(this.dir)) return builtins;
    const local = readdirSync(this.dir)
      .filter((n) => !n.startsWith(".") && existsSync(join(this.dir, n, MANIFEST_FILE)))
      .sort()
      .flatMap((n) => {
        try {
          return [this.entry(this.readManifestAt(join(this.dir, n)))];
        } catch {
          return []; // a broken folder is reported when the model is asked for by name, not here
        }
      });
    return [...builtins, ...local];
  }

  get(name: string): ModelEntry | null {
    if (Object.hasOwn(BUILTIN_MODELS, name))
      return this.list().find((m) => m.name === name) ?? null;
    if (!isModelName(name) || !existsSync(join(this.modelDir(name), MANIFEST_FILE))) return null;
    return this.entry(this.readManifestAt(this.modelDir(name)));
  }

  exists(name: string): boolean {
    return (
      Object.hasOwn(BUILTIN_MODELS, name) || (isModelName(name) && existsSync(this.modelDir(name)))
    );
  }

  /** Writes the manifest atomically (temp file + rename) into an existing model folder. */
  writeManifest(folder: string, manifest: ModelManifest): void {
    const tmp = join(folder, `.${MANIFEST_FILE}.tmp`);
    writeFileSync(tmp, `${JSON.stringify(ModelManifest.parse(manifest), null, 2)}\n`);
    renameSync(tmp, join(folder, MANIFEST_FILE));
  }

  /**
   * A base model for training: a registered or built-in name, a local Hugging Face folder, a GGUF
   * file, or a Hugging Face Hub id (org/name).
   */
  resolveBase(ref: string): { name: string; source: ModelSource } {
    const model = this.resolve(ref);
    const manifest = this.get(ref)?.manifest;
    if (manifest?.kind === "fine_tuned") {
      throw new TailorError({
        code: "invalid_argument",
        message: `${ref} is a fine-tuned model; train on its base model (${manifest.base.name}) instead, with all the examples you want it to learn.`,
      });
    }
    return { name: model.name, source: model.source };
  }

  /** Any model that can generate: base (as for resolveBase) or fine-tuned (base + adapter). */
  resolve(ref: string): ResolvedModel {
    const entry = this.get(ref);
    if (entry?.origin === "builtin") {
      return { name: ref, source: { kind: "builtin", name: ref as BuiltinModelName } };
    }
    if (entry?.manifest?.kind === "base") return { name: ref, source: entry.manifest.source };
    if (entry?.manifest?.kind === "fine_tuned") {
      return { name: ref, source: entry.manifest.base.source, adapterDir: this.modelDir(ref) };
    }
    const path = resolve(ref);
    if (existsSync(path)) {
      if (statSync(path).isDirectory()) return { name: ref, source: { kind: "hf_dir", path } };
      if (path.toLowerCase().endsWith(".gguf"))
        return { name: ref, source: { kind: "gguf", path } };
      throw new TailorError({
        code: "invalid_argument",
        message: `${path} is a file but not a GGUF model; pass a Hugging Face model folder, a .gguf file, or a model name`,
      });
    }
    if (HUB_ID.test(ref)) return { name: ref, source: { kind: "hub", repo_id: ref } };
    const known = this.list()
      .map((m) => m.name)
      .join(", ");
    throw new TailorError({
      code: "model_not_found",
      message: `unknown model '${ref}'. Known models: ${known}. Create a tiny test model with \`tailor models create-tiny tiny\`, or pass a local model folder, a .gguf file, or a Hugging Face id like HuggingFaceTB/SmolLM2-135M-Instruct.`,
    });
  }

  /** The manifest of the model folder `folder` (installed or about to be), checked. */
  readManifestAt(folder: string): ModelManifest {
    const file = join(folder, MANIFEST_FILE);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, "utf8"));
    } catch (e) {
      throw new TailorError({
        code: "model_corrupt",
        message: `${file} is not readable JSON (${(e as Error).message}); delete the folder ${folder} and create the model again`,
        details: { file },
      });
    }
    const parsed = ModelManifest.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new TailorError({
        code: "model_corrupt",
        message: `${file}: field ${issue?.path.join(".")}: ${issue?.message}; delete the folder and create the model again`,
        details: { file, field: issue?.path.join(".") },
      });
    }
    return parsed.data;
  }

  private entry(m: ModelManifest): ModelEntry {
    return {
      name: m.name,
      kind: m.kind,
      origin: "local",
      path: this.modelDir(m.name),
      description:
        m.kind === "base"
          ? (m.description ?? `base model from ${describeSource(m.source)}`)
          : m.parent
            ? `continued from ${m.parent.name} on ${m.training.train_examples} more examples (base ${m.base.name})`
            : `fine-tuned from ${m.base.name} on ${m.training.train_examples} examples`,
      created_at: m.created_at,
      manifest: m,
    };
  }
}

function isModelName(name: string): boolean {
  return ModelName.safeParse(name).success;
}

export function describeSource(s: ModelSource): string {
  switch (s.kind) {
    case "hf_dir":
    case "gguf":
      return s.path;
    case "builtin":
      return `built-in ${s.name}`;
    case "hub":
      return `Hugging Face Hub ${s.repo_id}`;
  }
}
