/**
 * `tailor assistants create|list|show|update|versions|delete|publish|unpublish|conversations|export`:
 * assistants (a model with instructions, knowledge, functions and a moderation policy, shared on a
 * page at `/a/<slug>`) on TAILOR_HOME directly, through the same stores as the API. The CLI is this
 * machine's admin: it sees every assistant, and what it makes belongs to "local" unless --owner.
 */
import { createInterface } from "node:readline/promises";
import { type Command, Option } from "commander";
import type { z } from "zod";
import {
  type AssistantSettingsInput,
  PublishInput,
  SHARE_ACCESS,
} from "../../../protocol/assistants.ts";
import { TailorError } from "../../errors/index.ts";
import { positiveInt } from "../args.ts";
import { printJson, say } from "../output.ts";
import { withTailor } from "../services.ts";
import {
  audit,
  CLI_AUTHOR,
  CLI_OWNER,
  findAssistant,
  kbResolver,
  settingsDeps,
} from "./assistants-admin.ts";
import { registerAssistantConversations } from "./assistants-conversations.ts";
import {
  issueText,
  type SettingsFlags,
  settingsFrom,
  settingsOptions,
} from "./assistants-input.ts";
import {
  assistantsTable,
  assistantText,
  DEFAULT_SERVER,
  sharePath,
  shareUrl,
  versionsTable,
  versionText,
} from "./assistants-view.ts";

const serverOption = () =>
  new Option("--server <url>", "the server the share link is on").default(DEFAULT_SERVER);

export function registerAssistants(program: Command): void {
  const assistants = program
    .command("assistants")
    .description(
      "assistants: a model with instructions, knowledge, functions and moderation, shared on a page for people without a Tailor key",
    );

  settingsOptions(
    assistants
      .command("create")
      .description("make an assistant (version 1); --from a JSON file for functions and the rest"),
    true,
  )
    .option("--owner <owner>", "whose it is (a key's owner sees it in the studio)", CLI_OWNER)
    .addOption(serverOption())
    .option("--json", "print JSON")
    .action((f: SettingsFlags & { owner: string; server: string; json?: boolean }) => {
      const a = withTailor((s) => {
        const { settings, explain } = settingsFrom(f, kbResolver(s));
        const made = attempt(explain, () =>
          s.assistants.create(
            f.owner,
            CLI_AUTHOR,
            settings as AssistantSettingsInput,
            settingsDeps(s),
          ),
        );
        audit(s, "create", made.id, { name: made.settings.name, version: made.version });
        return made;
      });
      if (f.json) return printJson(a);
      say(`created assistant ${a.settings.name} (${a.id}), version 1`);
      console.log(assistantText(a, f.server));
      say(`share it: tailor assistants publish ${a.id}`);
    });

  assistants
    .command("list")
    .description("every assistant, newest first")
    .option("--owner <owner>", "only this owner's")
    .option("--json", "print JSON")
    .action((f: { owner?: string; json?: boolean }) => {
      const list = withTailor((s) => s.assistants.list(f.owner));
      if (f.json) return printJson({ object: "list", data: list });
      if (!list.length)
        return say("no assistants yet: tailor assistants create --name NAME --model MODEL");
      console.log(assistantsTable(list));
    });

  assistants
    .command("show")
    .argument("<assistant>", "its id or name")
    // (a positional: `--version` is the program's own, answered before any subcommand sees it)
    .argument("[version]", "an earlier version's settings, e.g. 1", (v) =>
      positiveInt(v, "version"),
    )
    .description("an assistant's settings, functions (secrets never shown) and share page")
    .addOption(serverOption())
    .option("--json", "print JSON")
    .action((ref: string, version: number | undefined, f: { server: string; json?: boolean }) => {
      const { a, v } = withTailor((s) => {
        const a = findAssistant(s, ref);
        if (version === undefined) return { a, v: null };
        const v = s.assistants.versions(a.id).find((x) => x.version === version);
        if (!v)
          throw new TailorError({
            code: "not_found",
            message: `version ${version}: ${a.settings.name} has versions 1 to ${a.version}`,
            details: { field: "version" },
          });
        return { a, v };
      });
      if (f.json) return printJson(v ?? a);
      console.log(v ? versionText(v) : assistantText(a, f.server));
    });

  settingsOptions(
    assistants
      .command("update")
      .argument("<assistant>", "its id or name")
      .description("change an assistant: the fields given, as a new version"),
    false,
  )
    .option("--json", "print JSON")
    .action((ref: string, f: SettingsFlags & { json?: boolean }) => {
      const a = withTailor((s) => {
        const current = findAssistant(s, ref);
        const { settings: patch, explain } = settingsFrom(f, kbResolver(s), current);
        if (!Object.keys(patch).length)
          throw new TailorError({
            code: "invalid_argument",
            message:
              "nothing to change: give a flag (--name, --model, --instructions, ...) or --from FILE",
          });
        const next = attempt(explain, () =>
          s.assistants.update(current.id, CLI_AUTHOR, patch, settingsDeps(s)),
        );
        const days = next.settings.retention_days;
        if (days !== current.settings.retention_days) s.conversations.setRetention(next.id, days);
        audit(s, "update", next.id, { version: next.version, fields: Object.keys(patch) });
        return next;
      });
      if (f.json) return printJson(a);
      console.log(`version ${a.version}`);
    });

  assistants
    .command("versions")
    .argument("<assistant>", "its id or name")
    .description("an assistant's versions, newest first (a conversation records which answered)")
    .option("--json", "print JSON")
    .action((ref: string, f: { json?: boolean }) => {
      const list = withTailor((s) => s.assistants.versions(findAssistant(s, ref).id));
      const newest = [...list].sort((x, y) => y.version - x.version);
      if (f.json) return printJson({ object: "list", data: newest });
      console.log(versionsTable(newest));
    });

  assistants
    .command("delete")
    .argument("<assistant>", "its id or name")
    .description("delete an assistant, its versions and its conversations")
    .option("--yes", "do not ask")
    .option("--json", "print JSON")
    .action(async (ref: string, f: { yes?: boolean; json?: boolean }) => {
      const a = withTailor((s) => findAssistant(s, ref));
      if (!f.yes) {
        const what = `${a.settings.name} (${a.id})${a.publication.published ? `, shared at /a/${a.publication.slug},` : ""} and all its conversations`;
        if (!process.stdin.isTTY)
          throw new TailorError({
            code: "invalid_argument",
            message: `this deletes ${what}; give --yes to do it (not asked: no terminal)`,
          });
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        const answer = await rl.question(`delete ${what}? [y/N] `).finally(() => rl.close());
        if (!/^y(es)?$/i.test(answer.trim())) return say("kept it");
      }
      withTailor((s) => {
        s.assistants.delete(a.id);
        audit(s, "delete", a.id, { name: a.settings.name });
      });
      if (f.json) return printJson({ id: a.id, object: "assistant.deleted", deleted: true });
      console.log(`deleted assistant ${a.settings.name} (${a.id})`);
    });

  assistants
    .command("publish")
    .argument("<assistant>", "its id or name")
    .description("share an assistant on a page at /a/<slug>; again to change how")
    .addOption(
      new Option(
        "--access <access>",
        "who may open it (default public; passcode with --passcode)",
      ).choices(SHARE_ACCESS),
    )
    .option("--passcode <passcode>", "the passcode visitors type (at least 4 characters)")
    .option("--slug <slug>", "the page's name in its address: 3-64 lowercase letters, digits, -")
    .option("--rate <n>", "messages one visitor may send a minute (default 10)", (v) =>
      positiveInt(v, "--rate"),
    )
    .addOption(serverOption())
    .option("--json", "print JSON")
    .action(
      (
        ref: string,
        f: {
          access?: string;
          passcode?: string;
          slug?: string;
          rate?: number;
          server: string;
          json?: boolean;
        },
      ) => {
        const a = withTailor((s) => {
          const current = findAssistant(s, ref);
          const input = publishInput(f, current.publication.access === "passcode");
          const next = s.assistants.publish(current.id, input);
          audit(s, "publish", next.id, {
            slug: next.publication.slug,
            access: next.publication.access,
            rate: next.publication.visitor_requests_per_minute,
          });
          return next;
        });
        const path = sharePath(a.publication) ?? `/a/${a.publication.slug}`;
        if (f.json)
          return printJson({ ...a, share_path: path, share_url: shareUrl(path, f.server) });
        console.log(path);
        console.log(shareUrl(path, f.server));
        say(
          `${a.settings.name} is shared ${a.publication.access === "public" ? "with anyone who has the link" : a.publication.access === "passcode" ? "with whoever has the link and the passcode" : "with Tailor key holders"}, ${a.publication.visitor_requests_per_minute} messages a minute per visitor (the server must be running: tailor serve)`,
        );
      },
    );

  assistants
    .command("unpublish")
    .argument("<assistant>", "its id or name")
    .description("take the share page down at once (conversations stay)")
    .option("--json", "print JSON")
    .action((ref: string, f: { json?: boolean }) => {
      const a = withTailor((s) => {
        const current = findAssistant(s, ref);
        const next = s.assistants.unpublish(current.id);
        audit(s, "unpublish", next.id, { slug: current.publication.slug });
        return next;
      });
      if (f.json) return printJson(a);
      console.log(`unpublished ${a.settings.name}: its page is gone`);
    });

  registerAssistantConversations(assistants);
}

/** Runs a store call, its errors said in the flags' and the file's terms. */
function attempt<T>(explain: (e: unknown) => unknown, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw explain(e);
  }
}

const PUBLISH_FLAG: Record<string, string> = {
  passcode: "--passcode",
  slug: "--slug",
  visitor_requests_per_minute: "--rate",
  access: "--access",
};

function publishInput(
  f: { access?: string; passcode?: string; slug?: string; rate?: number },
  hasPasscode: boolean,
): PublishInput {
  const access = f.access ?? (f.passcode !== undefined ? "passcode" : "public");
  if (access === "passcode" && f.passcode === undefined && !hasPasscode)
    throw new TailorError({
      code: "invalid_argument",
      message: "--access passcode needs --passcode X (at least 4 characters) for visitors to type",
      details: { field: "passcode" },
    });
  if (access !== "passcode" && f.passcode !== undefined)
    throw new TailorError({
      code: "invalid_argument",
      message: `--passcode is for --access passcode (got --access ${access})`,
      details: { field: "passcode" },
    });
  const input = {
    access,
    ...(f.passcode !== undefined ? { passcode: f.passcode } : {}),
    ...(f.slug !== undefined ? { slug: f.slug } : {}),
    ...(f.rate !== undefined ? { visitor_requests_per_minute: f.rate } : {}),
  };
  const parsed = PublishInput.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    const field = String(issue.path[0] ?? "");
    throw new TailorError({
      code: "invalid_argument",
      message: `${PUBLISH_FLAG[field] ?? field}: ${field === "slug" ? issue.message : issueText(issue)}`,
      details: { field },
    });
  }
  return input as PublishInput;
}
