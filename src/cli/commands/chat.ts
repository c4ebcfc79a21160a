import { createInterface } from "node:readline";
import type { Command } from "commander";
import type { ChatMessage } from "../../../protocol/index.ts";
import { resolveModelRef } from "../../jobs/index.ts";
import { type Citation, groundChat, type VectorStore } from "../../knowledge/index.ts";
import { contextLength } from "../../models/index.ts";
import { positiveInt, positiveNumber } from "../args.ts";
import { findStore, withKnowledge } from "../knowledge.ts";
import { printJson, say } from "../output.ts";
import { withTailor } from "../services.ts";

interface ChatFlags {
  kb: string[];
  system?: string;
  prompt?: string;
  temperature: number;
  maxTokens: number;
  json?: boolean;
}

function sources(citations: Citation[]): string {
  if (!citations.length) return "";
  return `\nSources:\n${citations
    .map((c) => `  [${c.index}] ${c.filename}${c.location ? `, ${c.location}` : ""}`)
    .join("\n")}\n`;
}

export function registerChat(program: Command): void {
  program
    .command("chat")
    .argument("<model>", "a model name, a checkpoint (JOB_ID:step-N), a folder or a .gguf file")
    .description(
      "chat with a model; with --kb it answers from your documents and lists its sources (one question with --prompt, else one per line until Ctrl-D)",
    )
    .option(
      "--kb <name>",
      "a knowledge base to answer from (repeatable)",
      (v: string, prev: string[]) => [...prev, v],
      [],
    )
    .option("--system <text>", "system message")
    .option("--prompt <text>", "ask this one question and exit")
    .option(
      "--temperature <t>",
      "0 = always the most likely word",
      (v) => positiveNumber(v, "--temperature", true),
      0,
    )
    .option("--max-tokens <n>", "longest answer", (v) => positiveInt(v, "--max-tokens"), 256)
    .option("--json", "print one JSON object per answer")
    .action(async (name: string, f: ChatFlags, cmd: Command) => {
      const model = withTailor((svc) => resolveModelRef(svc, name));
      await withKnowledge(
        async ({ kb, engine }) => {
          const stores: VectorStore[] = f.kb.map((ref) => findStore(kb, ref));
          const history: ChatMessage[] = f.system ? [{ role: "system", content: f.system }] : [];
          const ask = async (question: string) => {
            const messages: ChatMessage[] = [...history, { role: "user", content: question }];
            const grounded = stores.length
              ? await groundChat(kb, stores, messages, {
                  contextLength: contextLength(model.source),
                  maxTokens: f.maxTokens,
                  countTokens: (ms) =>
                    engine.countTokens({
                      base: model.source,
                      adapterDir: model.adapterDir,
                      messages: ms,
                    }),
                })
              : null;
            let text = "";
            for await (const ev of engine.generate(
              {
                base: model.source,
                adapterDir: model.adapterDir,
                messages: grounded?.messages ?? messages,
                temperature: f.temperature,
                max_tokens: f.maxTokens,
              },
              { stream: !f.json },
            )) {
              if (ev.type === "delta") {
                text += ev.text;
                process.stdout.write(ev.text);
              } else if (f.json) text = ev.choices[0]?.text ?? "";
            }
            history.push({ role: "user", content: question }, { role: "assistant", content: text });
            if (f.json)
              return printJson({
                model: name,
                text,
                ...(grounded ? { found: grounded.found, citations: grounded.citations } : {}),
              });
            process.stdout.write("\n");
            if (grounded && !grounded.found) say("(nothing relevant was found in your documents)");
            process.stdout.write(sources(grounded?.citations ?? []));
          };
          if (f.prompt !== undefined) return ask(f.prompt);
          if (process.stdin.isTTY)
            say(
              `chatting with ${name}${stores.length ? ` from ${stores.map((s) => s.name).join(", ")}` : ""}; Ctrl-D to end`,
            );
          const lines = createInterface({ input: process.stdin, terminal: false });
          for await (const line of lines) if (line.trim()) await ask(line.trim());
        },
        { verbose: Boolean(cmd.optsWithGlobals().verbose) },
      );
    });
}
