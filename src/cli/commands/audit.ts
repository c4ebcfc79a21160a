import type { Command } from "commander";
import type { AuditEntry } from "../../auth/index.ts";

import { positiveInt } from "../args.ts";
import { printJson, say, table } from "../output.ts";
import { withTailor } from "../services.ts";

/** An entry as `--json` prints it: `at` in unix milliseconds and, for reading, as ISO 8601. */
export function auditView(e: AuditEntry) {
  return { object: "audit_log.entry", ...e, at_iso: new Date(e.at).toISOString() };
}

const when = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace("T", " ");

function who(e: AuditEntry): string {
  if (e.owner && e.key_id) return `${e.owner} (${e.key_id})`;
  return e.owner ?? e.key_id ?? "-";
}

export function registerAudit(program: Command): void {
  program
    .command("audit")
    .description("who did what through the API and the CLI, newest first")
    .option("--limit <n>", "how many entries (at most 1000)", (v) => positiveInt(v, "--limit"), 50)
    .option("--owner <owner>", "only what this owner's keys did")
    .option(
      "--action <action>",
      "only this action, or family of actions (`keys` takes in `keys.create`)",
    )
    .option("--after <seq>", "only entries older than this sequence number (the next page)", (v) =>
      positiveInt(v, "--after"),
    )
    .option("--json", "print JSON")
    .action(
      (f: { limit: number; owner?: string; action?: string; after?: number; json?: boolean }) => {
        const entries = withTailor((s) =>
          s.audit.list({ limit: f.limit, owner: f.owner, action: f.action, after: f.after }),
        );
        if (f.json) return printJson(entries.map(auditView));
        if (entries.length === 0) return say("nothing in the audit log matches");
        console.log(
          table([
            ["SEQ", "TIME (UTC)", "WHO", "ROLE", "ACTION", "TARGET", "RESULT", "STATUS", "CLIENT"],
            ...entries.map((e) => [
              String(e.seq),
              when(e.at),
              who(e),
              e.role ?? "-",
              e.action,
              e.target ?? "-",
              e.result,
              e.status === null ? "-" : String(e.status),
              e.client ?? "-",
            ]),
          ]),
        );
        const last = entries.at(-1);
        if (last && entries.length === f.limit && last.seq > 1)
          say(`older entries: \`tailor audit --after ${last.seq}\``);
      },
    );
}
