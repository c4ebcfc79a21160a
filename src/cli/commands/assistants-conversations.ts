/**
 * `tailor assistants conversations ID [CONVERSATION]` (list them, or read one with its sources,
 * function calls and feedback) and `tailor assistants export ID --out FILE` (the conversations as
 * the chat JSONL Tailor trains on, so good answers become examples).
 */
import { renameSync, writeFileSync } from "node:fs";
import { type Command, Option } from "commander";
import {
  EXPORT_FILTERS,
  type ExportFilter,
  exportConversations,
  versionInstructions,
} from "../../assistants/index.ts";
import { TailorError } from "../../errors/index.ts";
import type { Services } from "../../services/index.ts";
import { positiveInt } from "../args.ts";
import { printJson, say } from "../output.ts";
import { withTailor } from "../services.ts";
import { audit, findAssistant } from "./assistants-admin.ts";
import { conversationsTable, conversationText } from "./assistants-view.ts";

export function registerAssistantConversations(assistants: Command): void {
  assistants
    .command("conversations")
    .argument("<assistant>", "its id or name")
    .argument("[conversation]", "one conversation's id: read it")
    .description(
      "an assistant's conversations, newest first (when, first question, messages, feedback); with an id, read one",
    )
    .option("--limit <n>", "at most this many (default 20, at most 100)", (v) =>
      positiveInt(v, "--limit"),
    )
    .option("--after <id>", "older than this conversation (the last of the previous page)")
    .option("--json", "print JSON")
    .action(
      (
        ref: string,
        conversationId: string | undefined,
        f: { limit?: number; after?: string; json?: boolean },
      ) => {
        if (conversationId !== undefined) return readOne(ref, conversationId, f.json);
        const { a, page } = withTailor((s) => {
          const a = findAssistant(s, ref);
          return { a, page: s.conversations.page(a.id, { limit: f.limit, after: f.after }) };
        });
        if (f.json) return printJson({ object: "list", ...page });
        if (!page.data.length)
          return say(
            f.after
              ? "no more conversations"
              : `no conversations with ${a.settings.name} yet${a.publication.published ? "" : " (it is not shared: tailor assistants publish)"}`,
          );
        console.log(conversationsTable(page.data));
        if (page.has_more) say(`more: --after ${page.data.at(-1)?.id}`);
        else say(`read one: tailor assistants conversations ${a.id} CONVERSATION_ID`);
      },
    );

  assistants
    .command("export")
    .argument("<assistant>", "its id or name")
    .description(
      "the conversations as training examples (chat JSONL, one line per conversation): what visitors did not reject, with their corrections",
    )
    .requiredOption("--out <file>", "the JSONL file to write")
    .addOption(
      new Option(
        "--filter <which>",
        "good: each conversation up to its first answer rated down or marked wrong, a correction replacing its answer; all: every answer as given",
      )
        .choices(EXPORT_FILTERS)
        .default("good"),
    )
    .option("--json", "print JSON")
    .action((ref: string, f: { out: string; filter: ExportFilter; json?: boolean }) => {
      const r = withTailor((s) => {
        const a = findAssistant(s, ref);
        const out = exportTo(s, a.id, f.out, f.filter);
        audit(s, "export", a.id, { filter: f.filter, ...out });
        return out;
      });
      if (f.json) return printJson({ file: f.out, filter: f.filter, ...r });
      console.log(
        `wrote ${r.lines} ${r.lines === 1 ? "line" : "lines"} to ${f.out}: ${r.conversations} ${r.conversations === 1 ? "conversation" : "conversations"}, one a line${r.skipped ? ` (${r.skipped} left out: no answer to keep)` : ""}`,
      );
      say(
        r.lines
          ? `next: tailor data check ${f.out}`
          : r.skipped === 0
            ? "no conversations yet: they come once the assistant is shared (tailor assistants publish) and used"
            : f.filter === "good"
              ? "no answer was kept: each conversation's first answer was rated down or marked wrong without a correction (--filter all takes them all)"
              : "no conversation has an answer to learn from yet",
      );
    });
}

/** Writes the JSONL (temp file + rename: a half-written file is never left); what was written. */
function exportTo(s: Services, assistantId: string, out: string, filter: ExportFilter) {
  const r = exportConversations(s.conversations, assistantId, {
    filter,
    instructions: versionInstructions(s.assistants),
  });
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, r.jsonl);
    renameSync(tmp, out);
  } catch (e) {
    throw new TailorError({
      code: "file_not_found",
      message: `--out ${out}: cannot write it (${(e as Error).message})`,
      details: { file: out },
    });
  }
  return { conversations: r.conversations, lines: r.conversations, skipped: r.skipped };
}

function readOne(ref: string, conversationId: string, json: boolean | undefined): void {
  const c = withTailor((s) => {
    const a = findAssistant(s, ref);
    const c = s.conversations.find(conversationId);
    if (!c || c.assistant_id !== a.id)
      throw new TailorError({
        code: "not_found",
        message: `${a.settings.name} has no conversation ${conversationId}; \`tailor assistants conversations ${a.id}\` lists them`,
        details: { field: "conversation" },
      });
    return c;
  });
  if (json) printJson(c);
  else console.log(conversationText(c));
}
