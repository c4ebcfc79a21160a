import { userInfo } from "node:os";
import { type Command, Option } from "commander";
import { type ApiKey, KeyAdmin, ROLES } from "../../auth/index.ts";
import { printJson, say, table } from "../output.ts";
import { withTailor } from "../services.ts";

/** A key as `--json` prints it (never its hash; the plaintext only from `create`). */
export function keyView(key: ApiKey) {
  return { object: "api_key", ...key, status: key.revoked_at === null ? "active" : "revoked" };
}

/**
 * Key changes as this machine's admin: the CLI needs no key (whoever can read TAILOR_HOME is its
 * admin), and is logged as the OS user with client `cli`.
 */
function withKeyAdmin<T>(fn: (admin: KeyAdmin) => T): T {
  return withTailor((s) =>
    fn(new KeyAdmin(s.keys, s.audit, { owner: localUser(), client: "cli" })),
  );
}

function localUser(): string {
  try {
    return userInfo().username || "local";
  } catch {
    return "local"; // no passwd entry (some containers)
  }
}

const when = (s: number | null) =>
  s ? new Date(s * 1000).toISOString().slice(0, 16).replace("T", " ") : "-";

export function registerKeys(program: Command): void {
  const keys = program
    .command("keys")
    .description("API keys for the OpenAI-compatible server: create, list, revoke");

  keys
    .command("create")
    .description("make an API key; it is printed once, so store it right away")
    .requiredOption("--name <name>", "what the key is for, e.g. support-team")
    .addOption(
      new Option(
        "--role <role>",
        "what it may do: admin (everything), member (train and use models), viewer (read and call models)",
      )
        .choices(ROLES.options)
        .makeOptionMandatory(),
    )
    .option(
      "--owner <owner>",
      "who owns what it makes; give an existing owner to rotate a key (default: the name)",
    )
    .option("--json", "print JSON")
    .action((f: { name: string; role: string; owner?: string; json?: boolean }) => {
      const made = withKeyAdmin((admin) =>
        admin.create({ name: f.name, role: f.role, owner: f.owner }),
      );
      say(
        `created ${made.record.id} (${made.record.role}, owner ${made.record.owner}). This is the only time the key is shown: store it now.`,
      );
      if (f.json) return printJson({ ...keyView(made.record), key: made.key });
      console.log(made.key);
      say(
        `use it as the header \`Authorization: Bearer ${made.record.prefix}…\`; \`tailor keys revoke ${made.record.id}\` disables it`,
      );
    });

  keys
    .command("list")
    .description(
      "the API keys, oldest first (never the keys themselves, only their first characters)",
    )
    .option("--active", "leave out revoked keys")
    .option("--json", "print JSON")
    .action((f: { active?: boolean; json?: boolean }) => {
      const list = withTailor((s) => s.keys.list({ activeOnly: Boolean(f.active) }));
      if (f.json) return printJson(list.map(keyView));
      if (list.length === 0)
        return say("no API keys yet; `tailor keys create --name NAME --role member` makes one");
      console.log(
        table([
          ["ID", "NAME", "OWNER", "ROLE", "KEY", "CREATED", "LAST USED", "STATUS"],
          ...list.map((k) => [
            k.id,
            k.name,
            k.owner,
            k.role,
            `${k.prefix}…`,
            when(k.created_at),
            when(k.last_used_at),
            k.revoked_at === null ? "active" : `revoked ${when(k.revoked_at)}`,
          ]),
        ]),
      );
    });

  keys
    .command("revoke")
    .argument("<id>", "key id (key-…), from `tailor keys list`")
    .description("disable an API key for good; requests with it are refused at once")
    .option("--json", "print JSON")
    .action((id: string, f: { json?: boolean }) => {
      const key = withKeyAdmin((admin) => admin.revoke(id));
      if (f.json) return printJson(keyView(key));
      console.log(`${id} (${key.name}) revoked`);
    });
}
