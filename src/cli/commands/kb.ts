import { readdirSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import cliProgress from "cli-progress";
import type { Command } from "commander";
import { TailorError } from "../../errors/index.ts";
import {
  type AddOutcome,
  describeLocation,
  detectFormat,
  SEARCH_MODES,
  type SearchMode,
  type StoreFile,
  type VectorStore,
} from "../../knowledge/index.ts";
import { positiveInt } from "../args.ts";
import { findStore, withKnowledge } from "../knowledge.ts";
import { printJson, say, table } from "../output.ts";

const verbose = (cmd: Command) => Boolean(cmd.optsWithGlobals().verbose);

function storeView(s: VectorStore) {
  return {
    id: s.id,
    object: "vector_store",
    name: s.name,
    created_at: s.created_at,
    embedding_model: s.embedding_model,
    dimensions: s.dimensions,
    chunk_size: s.chunk_size,
    chunk_overlap: s.chunk_overlap,
    file_counts: s.file_counts,
    usage_bytes: s.usage_bytes,
  };
}

const fileView = (f: StoreFile) => ({
  id: f.file_id,
  filename: f.filename,
  status: f.status,
  pages: f.pages,
  chunks: f.chunks,
  bytes: f.bytes,
  error: f.error,
});

/** The files named, with folders opened (their readable files, recursively). */
function expand(paths: string[]): string[] {
  return paths.flatMap((p) => {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch {
      return [p]; // reported as missing by name below
    }
    if (!st.isDirectory()) return [p];
    return readdirSync(p, { recursive: true })
      .map((f) => join(p, String(f)))
      .filter((f) => statSync(f).isFile() && detectFormat(f, Buffer.alloc(0)) !== null)
      .sort();
  });
}

const OUTCOME: Record<AddOutcome, string> = {
  added: "added",
  unchanged: "already there, unchanged",
  replaced: "added, replacing its older version",
  failed: "FAILED",
};

export function registerKb(program: Command): void {
  const kbc = program
    .command("kb")
    .description("knowledge bases: your documents, searchable, for chat that answers from them");

  kbc
    .command("create")
    .argument("<name>", "a name for the knowledge base")
    .description("make an empty knowledge base")
    .option(
      "--embedding-model <name>",
      "a sentence-transformers model name or folder",
      "all-minilm-l6-v2",
    )
    .option("--chunk-size <chars>", "longest passage, in characters", (v) =>
      positiveInt(v, "--chunk-size"),
    )
    .option("--chunk-overlap <chars>", "characters repeated between passages", (v) =>
      positiveInt(v, "--chunk-overlap", true),
    )
    .option("--json", "print JSON")
    .action(
      async (
        name: string,
        f: { embeddingModel: string; chunkSize?: number; chunkOverlap?: number; json?: boolean },
      ) => {
        await withKnowledge(async ({ kb }) => {
          if (kb.store.byName(name).length)
            throw new TailorError({
              code: "conflict",
              message: `a knowledge base named '${name}' exists already`,
            });
          const s = kb.createStore({
            name,
            owner: null,
            embeddingModel: f.embeddingModel,
            chunking: {
              ...(f.chunkSize !== undefined ? { maxChars: f.chunkSize } : {}),
              ...(f.chunkOverlap !== undefined ? { overlapChars: f.chunkOverlap } : {}),
            },
          });
          if (f.json) return printJson(storeView(s));
          say(
            `made knowledge base ${name} (${s.id}); add documents with: tailor kb add ${name} FILE...`,
          );
        });
      },
    );

  kbc
    .command("list")
    .description("knowledge bases, newest first")
    .option("--json", "print JSON")
    .action(async (f: { json?: boolean }) => {
      await withKnowledge(async ({ kb }) => {
        const all = kb.store.list();
        if (f.json) return printJson({ object: "list", data: all.map(storeView) });
        if (!all.length) return say("no knowledge bases yet: tailor kb create NAME");
        console.log(
          table([
            ["NAME", "ID", "FILES", "FAILED", "MODEL"],
            ...all.map((s) => [
              s.name,
              s.id,
              String(s.file_counts.completed),
              String(s.file_counts.failed),
              s.embedding_model,
            ]),
          ]),
        );
      });
    });

  kbc
    .command("show")
    .argument("<kb>", "name or id")
    .description("a knowledge base and its files")
    .option("--json", "print JSON")
    .action(async (ref: string, f: { json?: boolean }) => {
      await withKnowledge(async ({ kb }) => {
        const s = findStore(kb, ref);
        const files = kb.store.files(s.id);
        if (f.json) return printJson({ ...storeView(s), files: files.map(fileView) });
        console.log(
          `${s.name} (${s.id}): ${s.file_counts.completed} files, model ${s.embedding_model}`,
        );
        if (files.length)
          console.log(
            table([
              ["FILE", "ID", "STATUS", "PAGES", "CHUNKS"],
              ...files.map((x) => [
                x.filename,
                x.file_id,
                x.error ? `failed: ${x.error.message}` : x.status,
                String(x.pages),
                String(x.chunks),
              ]),
            ]),
          );
      });
    });

  kbc
    .command("add")
    .argument("<kb>", "name or id")
    .argument("<files...>", "documents (.txt, .md, .html, .pdf, .docx) or folders of them")
    .description(
      "read, cut into passages, embed and store documents; a file added again is not duplicated, and a changed file replaces its older version",
    )
    .option("--json", "print one JSON line per file")
    .action(async (ref: string, paths: string[], f: { json?: boolean }, cmd: Command) => {
      await withKnowledge(
        async ({ kb, files }) => {
          const s = findStore(kb, ref);
          const tty = Boolean(process.stderr.isTTY) && !f.json;
          let failed = 0;
          for (const path of expand(paths)) {
            const name = basename(path);
            let stored: Awaited<ReturnType<typeof files.addLocal>>;
            try {
              stored = await files.addLocal(resolve(path), {
                purpose: "assistants",
                owner: null,
                filename: name,
              });
            } catch (e) {
              failed++;
              const message = `${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`;
              if (f.json)
                printJson({
                  file: path,
                  outcome: "failed",
                  error: { code: "invalid_file", message },
                });
              else say(`✗ ${message}`);
              continue;
            }
            let bar: cliProgress.SingleBar | null = null;
            const r = await kb.add(s.id, stored, {
              replaceSameName: true,
              onProgress: (p) => {
                if (!tty || p.stage !== "embedding") return;
                if (!bar) {
                  bar = new cliProgress.SingleBar(
                    {
                      format: `${name} |{bar}| {value}/{total} passages embedded`,
                      stream: process.stderr,
                      hideCursor: true,
                    },
                    cliProgress.Presets.shades_classic,
                  );
                  bar.start(p.total, 0);
                }
                bar.update(p.done);
              },
            });
            (bar as cliProgress.SingleBar | null)?.stop();
            if (r.outcome === "failed") failed++;
            if (f.json) printJson({ file: path, outcome: r.outcome, ...fileView(r.file) });
            else if (r.outcome === "failed") say(`✗ ${r.file.error?.message ?? name}`);
            else
              say(
                `✓ ${name}: ${OUTCOME[r.outcome]} (${r.file.pages} ${r.file.pages === 1 ? "page or section" : "pages or sections"}, ${r.file.chunks} passages)`,
              );
          }
          if (failed) {
            if (!f.json)
              say(`${failed} file${failed === 1 ? "" : "s"} could not be added; the others were.`);
            process.exitCode = 4;
          }
        },
        { verbose: verbose(cmd) },
      );
    });

  kbc
    .command("search")
    .argument("<kb>", "name or id")
    .argument("<question>", "what to look for")
    .description("the passages that best match a question (hybrid: by meaning and by words)")
    .option("-k, --top <n>", "passages to show", (v) => positiveInt(v, "--top"), 5)
    .option("--mode <mode>", `${SEARCH_MODES.join(", ")}`, "hybrid")
    .option("--json", "print JSON")
    .action(
      async (
        ref: string,
        question: string,
        f: { top: number; mode: string; json?: boolean },
        cmd: Command,
      ) => {
        if (!(SEARCH_MODES as readonly string[]).includes(f.mode))
          throw new TailorError({
            code: "invalid_argument",
            message: `--mode must be one of ${SEARCH_MODES.join(", ")}, got '${f.mode}'`,
          });
        await withKnowledge(
          async ({ kb }) => {
            const s = findStore(kb, ref);
            const hits = await kb.search([s], question, { k: f.top, mode: f.mode as SearchMode });
            if (f.json)
              return printJson({
                object: "list",
                query: question,
                data: hits.map((h) => ({
                  file_id: h.file_id,
                  filename: h.filename,
                  location: describeLocation(h),
                  page: h.page,
                  section: h.heading,
                  chunk: h.seq,
                  score: h.score,
                  similarity: h.similarity,
                  text: h.text,
                })),
              });
            if (!hits.length) return say("nothing found");
            for (const [i, h] of hits.entries()) {
              const where = describeLocation(h);
              console.log(
                `[${i + 1}] ${h.filename}${where ? `, ${where}` : ""}  (score ${h.score.toFixed(3)}, similarity ${h.similarity.toFixed(2)})`,
              );
              console.log(
                `    ${h.text.replace(/\s+/g, " ").slice(0, 300)}${h.text.length > 300 ? "…" : ""}\n`,
              );
            }
          },
          { verbose: verbose(cmd) },
        );
      },
    );

  kbc
    .command("chunks")
    .argument("<kb>", "name or id")
    .argument("<file>", "file name or id")
    .description("the passages a file was cut into")
    .option("--json", "print JSON")
    .action(async (ref: string, file: string, f: { json?: boolean }) => {
      await withKnowledge(async ({ kb }) => {
        const s = findStore(kb, ref);
        const sf = fileIn(kb.store.files(s.id), file, s.name);
        const chunks = kb.store.chunks(s.id, sf.file_id);
        if (f.json)
          return printJson({
            object: "list",
            data: chunks.map((c) => ({
              chunk: c.seq,
              location: describeLocation(c),
              page: c.page,
              section: c.heading,
              text: c.text,
            })),
          });
        for (const c of chunks) console.log(`--- ${c.seq} ${describeLocation(c)}\n${c.text}\n`);
      });
    });

  kbc
    .command("rm")
    .argument("<kb>", "name or id")
    .argument("<file>", "file name or id")
    .description("take a file out of a knowledge base, with its passages and vectors")
    .action(async (ref: string, file: string) => {
      await withKnowledge(async ({ kb }) => {
        const s = findStore(kb, ref);
        const sf = fileIn(kb.store.files(s.id), file, s.name);
        kb.store.removeFile(s.id, sf.file_id);
        say(`removed ${sf.filename} from ${s.name}`);
      });
    });

  kbc
    .command("delete")
    .argument("<kb>", "name or id")
    .description("delete a knowledge base with its passages and vectors")
    .action(async (ref: string) => {
      await withKnowledge(async ({ kb }) => {
        const s = findStore(kb, ref);
        kb.store.delete(s.id);
        say(`deleted knowledge base ${s.name}`);
      });
    });
}

function fileIn(files: StoreFile[], ref: string, store: string): StoreFile {
  const f =
    files.find((x) => x.file_id === ref) ??
    files.find((x) => x.filename === ref || x.filename === basename(ref));
  if (!f)
    throw new TailorError({
      code: "not_found",
      message: `${ref} is not in ${store}; \`tailor kb show ${store}\` lists its files`,
    });
  return f;
}
