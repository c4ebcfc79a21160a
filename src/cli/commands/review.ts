/**
 * `tailor review list|show|accept|edit|reject|redact`: the review queue on this machine. Nothing
 * becomes a training example until a person accepts it here (or through the API or the studio).
 * The CLI is this machine's admin: it sees every owner's items, and the reviewer recorded is the OS
 * user (as in the audit log, where each decision is written with client `cli`). Also attaches
 * `tailor models pin|regression|unpin` (review-regression.ts).
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { REVIEW_STATUSES, type ReviewItem, type ReviewStatus } from "../../../protocol/review.ts";
import { TailorError } from "../../errors/index.ts";
import { EngineNameFinder } from "../../safety/index.ts";
import type { Services } from "../../services/index.ts";
import { InferenceEngine } from "../../serving/index.ts";
import { positiveInt } from "../args.ts";
import { printJson, say } from "../output.ts";
import { withTailor } from "../services.ts";
import { localUser } from "./assistants-admin.ts";
import { registerRegressionCommands } from "./review-regression.ts";
import { itemsTable, itemText, piiLines } from "./review-view.ts";

/** Writes a decision to the audit log: who (the OS user), what, which item. */
export function auditReview(
  s: Services,
  action: string,
  target: string,
  details: Record<string, unknown> = {},
): void {
  s.audit.append({
    keyId: null,
    owner: localUser(),
    role: "admin",
    action: `review.${action}`,
    target,
    result: "ok",
    client: "cli",
    details,
  });
}

function statusOf(value: string): ReviewStatus | undefined {
  if (value === "all") return undefined;
  if ((REVIEW_STATUSES as readonly string[]).includes(value)) return value as ReviewStatus;
  throw new TailorError({
    code: "invalid_argument",
    message: `--status ${value}: give one of ${REVIEW_STATUSES.join(", ")} or all`,
    details: { field: "status" },
  });
}

function answerOf(opts: { answer?: string; answerFile?: string }): string {
  if (opts.answer !== undefined && opts.answerFile !== undefined)
    throw new TailorError({
      code: "invalid_argument",
      message: "give --answer or --answer-file, not both",
      details: { field: "answer" },
    });
  if (opts.answerFile !== undefined) {
    try {
      return readFileSync(opts.answerFile, "utf8").replace(/\r?\n$/, "");
    } catch (e) {
      throw new TailorError({
        code: "file_not_found",
        message: `--answer-file ${opts.answerFile}: cannot read it (${(e as Error).message})`,
        details: { file: opts.answerFile },
      });
    }
  }
  if (opts.answer !== undefined) return opts.answer;
  throw new TailorError({
    code: "invalid_argument",
    message: "write the right answer with --answer TEXT or --answer-file FILE",
    details: { field: "answer" },
  });
}

/** What is printed after a decision: the item as JSON, or a line and any personal data left. */
function decided(item: ReviewItem, json: boolean | undefined): void {
  if (json) {
    printJson(item);
    return;
  }
  say(
    item.status === "accepted"
      ? `accepted ${item.id}: the next retrain of ${item.model} learns this answer`
      : `rejected ${item.id}: it will not become an example`,
  );
  if (item.status === "accepted" && item.pii.length) for (const l of piiLines(item)) say(l);
}

export function registerReview(program: Command): void {
  const review = program
    .command("review")
    .description(
      "answers that got feedback: accept, edit or reject each before it becomes a training example",
    );

  review
    .command("list")
    .description("the review queue, oldest first (pending ones by default)")
    .option("--status <status>", "pending, accepted, rejected or all", "pending")
    .option("--model <model>", "a model name, or the model that answered")
    .option("--limit <n>", "how many at most", (v) => positiveInt(v, "--limit"), 100)
    .option("--json", "print JSON")
    .action((opts: { status: string; model?: string; limit: number; json?: boolean }) => {
      const status = statusOf(opts.status);
      const page = withTailor((s) =>
        s.review.list(undefined, {
          ...(status === undefined ? {} : { status }),
          ...(opts.model === undefined ? {} : { model: opts.model }),
          limit: opts.limit,
        }),
      );
      if (opts.json) return printJson(page.data);
      if (!page.data.length) {
        say(
          `no ${status ?? ""} review items${opts.model ? ` for ${opts.model}` : ""}`.replace(
            "  ",
            " ",
          ),
        );
        return;
      }
      console.log(itemsTable(page.data));
      if (page.has_more) say(`(the first ${page.data.length}; --limit shows more)`);
    });

  review
    .command("show")
    .argument("<id>", "a review item's id (rev_…)")
    .description(
      "the question, the answer, the feedback, the proposed answer, personal data found (e-mails, phone numbers, cards, ids, secrets; names with --names)",
    )
    .option("--names", "look for people's names too (starts the named-entity model)")
    .option("--json", "print JSON")
    .action(async (id: string, opts: { names?: boolean; json?: boolean }) => {
      const engine = opts.names ? new InferenceEngine() : null;
      try {
        const item = await withTailor(async (s) =>
          engine ? s.review.rescan(id, new EngineNameFinder(engine)) : s.review.get(id),
        );
        if (opts.json) return printJson(item);
        console.log(itemText(item));
      } finally {
        await engine?.close();
      }
    });

  review
    .command("accept")
    .argument("<id>", "a review item's id")
    .description("accept the proposed answer as a training example")
    .option("--note <text>", "why (kept with the decision)")
    .option("--json", "print JSON")
    .action((id: string, opts: { note?: string; json?: boolean }) => {
      const item = withTailor((s) => {
        const done = s.review.accept(id, localUser(), {
          ...(opts.note === undefined ? {} : { note: opts.note }),
        });
        auditReview(s, "accept", id, { edited: false });
        return done;
      });
      decided(item, opts.json);
    });

  review
    .command("edit")
    .argument("<id>", "a review item's id")
    .description("accept with the right answer written by you")
    .option("--answer <text>", "the right answer")
    .option("--answer-file <file>", "the right answer, from a file")
    .option("--note <text>", "why (kept with the decision)")
    .option("--json", "print JSON")
    .action(
      (
        id: string,
        opts: { answer?: string; answerFile?: string; note?: string; json?: boolean },
      ) => {
        const answer = answerOf(opts);
        const item = withTailor((s) => {
          const done = s.review.accept(id, localUser(), {
            answer,
            ...(opts.note === undefined ? {} : { note: opts.note }),
          });
          auditReview(s, "accept", id, { edited: true });
          return done;
        });
        decided(item, opts.json);
      },
    );

  review
    .command("reject")
    .argument("<id>", "a review item's id")
    .description("reject: it never becomes a training example")
    .option("--note <text>", "why (kept with the decision)")
    .option("--json", "print JSON")
    .action((id: string, opts: { note?: string; json?: boolean }) => {
      const item = withTailor((s) => {
        const done = s.review.reject(id, localUser(), opts.note);
        auditReview(s, "reject", id);
        return done;
      });
      decided(item, opts.json);
    });

  review
    .command("redact")
    .argument("<id>", "a review item's id")
    .description(
      "replace personal data (e-mails, phone numbers, cards, ids, secrets, people's names) with placeholders such as [EMAIL]",
    )
    .option("--no-names", "leave people's names (no named-entity model: faster)")
    .option("--json", "print JSON")
    .action(async (id: string, opts: { names: boolean; json?: boolean }) => {
      const engine = opts.names ? new InferenceEngine() : null;
      try {
        const r = await withTailor(async (s) => {
          const out = await s.review.redact(id, {
            names: engine ? new EngineNameFinder(engine) : null,
          });
          auditReview(s, "redact", id, { replaced: out.replaced });
          return out;
        });
        if (opts.json) return printJson({ object: "review.redaction", ...r });
        const replaced = Object.entries(r.replaced).map(([k, n]) => `${n} ${k}`);
        say(
          replaced.length
            ? `redacted ${id}: replaced ${replaced.join(", ")}`
            : `nothing to replace in ${id}`,
        );
        if (r.item.pii.length) for (const l of piiLines(r.item)) say(l);
      } finally {
        await engine?.close();
      }
    });

  registerRegressionCommands(program);
}
