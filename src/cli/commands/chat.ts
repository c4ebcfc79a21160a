import { createInterface } from "node:readline";
import type { Command } from "commander";
import type { ChatMessage, ResponseFormat, Tool, ToolChoice } from "../../../protocol/index.ts";
import { TailorError } from "../../errors/index.ts";
import { resolveModelRef } from "../../jobs/index.ts";
import { type Citation, groundChat, type VectorStore } from "../../knowledge/index.ts";
import { contextLength, type ModelManifest, refuseClassifier } from "../../models/index.ts";
import type { Choice } from "../../serving/index.ts";
import { positiveInt, positiveNumber } from "../args.ts";
import { asToolCall, loadSchema, loadTools, toolCard, toolChoice } from "../chat-tools.ts";
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
  /** A tools file; false with --no-tools; absent: the functions the model was trained with. */
  tools?: string | false;
  toolChoice?: string;
  responseFormat?: "text" | "json";
  schema?: string;
  /** false with --no-parallel-tool-calls: at most one call per answer. */
  parallelToolCalls: boolean;
}

interface Offer {
  tools?: Tool[];
  parallel_tool_calls?: boolean;
  tool_choice?: ToolChoice;
  response_format?: ResponseFormat;
}

/** The functions a fine-tuned model saw in training (its manifest records them). */
function trainedTools(manifest: ModelManifest | null | undefined): Tool[] | undefined {
  return manifest?.kind === "fine_tuned" ? manifest.tools : undefined;
}

/** What the flags offer the model besides free text. */
function offer(f: ChatFlags, trained: Tool[] | undefined): Offer {
  const tools = f.tools === false ? undefined : f.tools ? loadTools(f.tools) : trained;
  if (f.toolChoice !== undefined && !tools)
    throw new TailorError({
      code: "invalid_argument",
      message: "--tool-choice needs functions to choose from: give them with --tools FILE",
    });
  if (f.schema && f.responseFormat)
    throw new TailorError({
      code: "invalid_argument",
      message: "give --schema or --response-format, not both (--schema implies JSON)",
    });
  const format: ResponseFormat | undefined = f.schema
    ? loadSchema(f.schema)
    : f.responseFormat === "json"
      ? { type: "json_object" }
      : undefined;
  return {
    ...(tools ? { tools } : {}),
    ...(f.toolChoice !== undefined ? { tool_choice: toolChoice(f.toolChoice, tools) } : {}),
    ...(tools && !f.parallelToolCalls ? { parallel_tool_calls: false } : {}),
    ...(format ? { response_format: format } : {}),
  };
}

/** Lines of stdin, read only once something asks for one (undefined: the input ended). */
function stdinLines(): () => Promise<string | undefined> {
  let it: AsyncIterator<string> | undefined;
  return async () => {
    it ??= createInterface({ input: process.stdin, terminal: false })[Symbol.asyncIterator]();
    const r = await it.next();
    return r.done ? undefined : String(r.value);
  };
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
    .option(
      "--tools <file>",
      "functions the model may call: a JSON file with an OpenAI tools array, or a JSONL file whose first line has tools (default: the functions the model was trained with)",
    )
    .option("--no-tools", "offer no functions, even those the model was trained with")
    .option(
      "--tool-choice <choice>",
      "auto (the model decides), none, required, or a function's name",
    )
    .option("--no-parallel-tool-calls", "at most one call per answer")
    .option("--response-format <format>", "text, or json: the answer is a JSON object", (v) => {
      if (v === "text" || v === "json" || v === "json_object") return v === "text" ? v : "json";
      throw new TailorError({
        code: "invalid_argument",
        message: `--response-format must be text or json, got '${v}'`,
      });
    })
    .option(
      "--schema <file>",
      "a JSON Schema file: every answer is JSON that validates against it (constrained decoding)",
    )
    .action(async (name: string, f: ChatFlags, cmd: Command) => {
      const { model, trained } = withTailor((svc) => {
        const model = resolveModelRef(svc, name);
        refuseClassifier(model);
        return { model, trained: trainedTools(svc.models.get(model.name)?.manifest) };
      });
      const extra = offer(f, trained);
      const readLine = stdinLines();
      let calls = 0;
      await withKnowledge(
        async ({ kb, engine }) => {
          const stores: VectorStore[] = f.kb.map((ref) => findStore(kb, ref));
          const history: ChatMessage[] = f.system ? [{ role: "system", content: f.system }] : [];
          /** One answer: its words as they come (unless --json), then its calls. */
          const answer = async (messages: ChatMessage[]): Promise<Choice> => {
            let text = "";
            for await (const ev of engine.generate(
              {
                base: model.source,
                adapterDir: model.adapterDir,
                messages,
                temperature: f.temperature,
                max_tokens: f.maxTokens,
                ...extra,
              },
              { stream: !f.json },
            )) {
              if (ev.type === "delta") {
                text += ev.text;
                process.stdout.write(ev.text);
              } else if (ev.type === "result" && ev.choices[0]) return ev.choices[0];
            }
            return { index: 0, text, finish_reason: "cancelled" };
          };
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
            const prompt = grounded?.messages ?? messages;
            // the answers of this turn: calls and their results, until the model answers in words
            const turn: ChatMessage[] = [{ role: "user", content: question }];
            for (;;) {
              const a = await answer([...prompt, ...turn.slice(1)]);
              const toolCalls = (a.tool_calls ?? []).map((c) => asToolCall(c, `call_${++calls}`));
              turn.push({
                role: "assistant",
                content: a.text,
                ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
              });
              if (f.json)
                printJson({
                  model: name,
                  text: a.text,
                  ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
                  finish_reason: a.finish_reason,
                  ...(grounded ? { found: grounded.found, citations: grounded.citations } : {}),
                });
              else if (a.text || !toolCalls.length) process.stdout.write("\n");
              if (!toolCalls.length) break;
              if (a.finish_reason === "length")
                say("(the answer reached --max-tokens: its last call may be cut off)");
              for (const call of toolCalls) {
                if (!f.json) process.stdout.write(`${toolCard(call.function)}\n`);
                // --json keeps stdout for JSON: the question goes to the terminal only
                if (!f.json) process.stdout.write(`result of ${call.function.name}> `);
                else if (process.stdin.isTTY)
                  process.stderr.write(`result of ${call.function.name}> `);
                const result = await readLine();
                if (result === undefined) {
                  if (!f.json) process.stdout.write("\n");
                  say(`(no result for ${call.function.name}: the input ended)`);
                  history.push(...turn);
                  return false;
                }
                turn.push({ role: "tool", content: result, tool_call_id: call.id });
              }
            }
            history.push(...turn);
            if (f.json) return true;
            if (grounded && !grounded.found) say("(nothing relevant was found in your documents)");
            process.stdout.write(sources(grounded?.citations ?? []));
            return true;
          };
          if (extra.tools && process.stdin.isTTY && !f.json)
            say(
              `${name} may call ${extra.tools.map((t) => t.function.name).join(", ")}${f.tools ? "" : " (the functions it was trained with; --no-tools to leave them out)"}; type each call's result when asked`,
            );
          if (f.prompt !== undefined) {
            await ask(f.prompt);
            return;
          }
          if (process.stdin.isTTY)
            say(
              `chatting with ${name}${stores.length ? ` from ${stores.map((s) => s.name).join(", ")}` : ""}; Ctrl-D to end`,
            );
          for (let line = await readLine(); line !== undefined; line = await readLine())
            if (line.trim() && !(await ask(line.trim()))) break;
        },
        { verbose: Boolean(cmd.optsWithGlobals().verbose) },
      );
    });
}
