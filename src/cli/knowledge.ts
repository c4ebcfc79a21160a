/** What `tailor kb` and `tailor chat --kb` share: the knowledge base of TAILOR_HOME and its engine. */
import { TailorError } from "../errors/index.ts";
import type { FileStore } from "../files/index.ts";
import { KnowledgeBase, type VectorStore } from "../knowledge/index.ts";
import { InferenceEngine } from "../serving/index.ts";
import { withTailor } from "./services.ts";

export interface Knowledge {
  kb: KnowledgeBase;
  files: FileStore;
  engine: InferenceEngine;
}

/** Runs `fn` with the knowledge base; the engine starts only if something is embedded. */
export async function withKnowledge<T>(
  fn: (k: Knowledge) => Promise<T>,
  opts: { verbose?: boolean; engine?: InferenceEngine } = {},
): Promise<T> {
  return withTailor(async (svc) => {
    const engine =
      opts.engine ??
      new InferenceEngine(
        opts.verbose ? { onLog: (l) => process.stderr.write(`[engine] ${l}\n`) } : {},
      );
    const kb = new KnowledgeBase(svc.db, { embedder: engine, files: svc.files });
    try {
      return await fn({ kb, files: svc.files, engine });
    } finally {
      kb.close();
      if (!opts.engine) await engine.close();
    }
  });
}

/** A knowledge base by name (made with `tailor kb create`) or id (`vs_…`). */
export function findStore(kb: KnowledgeBase, ref: string): VectorStore {
  if (ref.startsWith("vs_")) return kb.store.get(ref);
  const found = kb.store.byName(ref);
  if (found.length === 1) return found[0] as VectorStore;
  if (!found.length)
    throw new TailorError({
      code: "not_found",
      message: `no knowledge base named '${ref}'; \`tailor kb create ${ref}\` makes one, \`tailor kb list\` lists them`,
    });
  throw new TailorError({
    code: "conflict",
    message: `${found.length} knowledge bases are named '${ref}' (${found.map((s) => s.id).join(", ")}); name one by its id`,
  });
}
