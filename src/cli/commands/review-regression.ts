/**
 * `tailor models pin|regression|unpin`: the examples a model name must never break, checked by the
 * gate of every retrain. Attached to `tailor models` from here, so that the models command's file
 * stays its owner's. Pinned by the OS user (the CLI is this machine's admin), each change in the
 * audit log.
 */
import type { Command } from "commander";
import type { ChatMessage } from "../../../protocol/index.ts";
import { TailorError } from "../../errors/index.ts";
import { printJson, say } from "../output.ts";
import { withTailor } from "../services.ts";
import { localUser } from "./assistants-admin.ts";
import { examplesTable } from "./review-view.ts";

interface PinOptions {
  question?: string;
  system?: string;
  expected?: string;
  fromReview?: string;
  note?: string;
  json?: boolean;
}

function messagesOf(opts: PinOptions): ChatMessage[] {
  if (opts.question === undefined || opts.expected === undefined)
    throw new TailorError({
      code: "invalid_argument",
      message:
        "give --question TEXT and --expected TEXT (the answer it must keep giving), or --from-review ID (an accepted review item)",
      details: { field: opts.question === undefined ? "question" : "expected" },
    });
  return [
    ...(opts.system === undefined ? [] : [{ role: "system" as const, content: opts.system }]),
    { role: "user", content: opts.question },
  ];
}

export function registerRegressionCommands(program: Command): void {
  const models = program.commands.find((c) => c.name() === "models");
  if (!models) throw new Error("register `tailor models` before `tailor review`");

  models
    .command("pin")
    .argument("<name>", "a model name (tailor models name …)")
    .description(
      "pin an example the name must never break: every retrain's gate checks it still answers it",
    )
    .option("--question <text>", "the question")
    .option("--system <text>", "a system message before the question")
    .option("--expected <text>", "the answer it must keep giving")
    .option("--from-review <id>", "an accepted review item: its question and final answer")
    .option("--note <text>", "why it matters")
    .option("--json", "print JSON")
    .action((name: string, opts: PinOptions) => {
      if (opts.fromReview !== undefined && (opts.question ?? opts.expected) !== undefined)
        throw new TailorError({
          code: "invalid_argument",
          message: "give --from-review, or --question and --expected, not both",
          details: { field: "review_item" },
        });
      const pinned = withTailor((s) => {
        const n = s.modelNames.get(name).name;
        const e =
          opts.fromReview !== undefined
            ? s.regression.pinReviewed(n, s.review.get(opts.fromReview), localUser(), opts.note)
            : s.regression.pin(
                n,
                {
                  messages: messagesOf(opts),
                  expected: opts.expected ?? "",
                  note: opts.note ?? null,
                },
                localUser(),
              );
        s.audit.append({
          keyId: null,
          owner: localUser(),
          role: "admin",
          action: "models.pin",
          target: n,
          result: "ok",
          client: "cli",
          details: { id: e.id, ...(opts.fromReview ? { review_item: opts.fromReview } : {}) },
        });
        return { example: e, count: s.regression.list(n).length };
      });
      if (opts.json) return printJson(pinned.example);
      say(
        `pinned ${pinned.example.id} to ${name}: its retrains must keep answering it (${pinned.count} in its regression set)`,
      );
    });

  models
    .command("regression")
    .argument("<name>", "a model name")
    .description("the name's regression set: examples every retrain must keep answering")
    .option("--json", "print JSON")
    .action((name: string, opts: { json?: boolean }) => {
      const examples = withTailor((s) => s.regression.list(s.modelNames.get(name).name));
      if (opts.json) return printJson(examples);
      if (!examples.length) {
        say(`${name} has no regression examples; \`tailor models pin ${name}\` adds one`);
        return;
      }
      console.log(examplesTable(examples));
    });

  models
    .command("unpin")
    .argument("<id>", "a regression example's id (reg_…)")
    .description("remove an example from its name's regression set")
    .option("--json", "print JSON")
    .action((id: string, opts: { json?: boolean }) => {
      const e = withTailor((s) => {
        const example = s.regression.get(id);
        s.regression.unpin(id);
        s.audit.append({
          keyId: null,
          owner: localUser(),
          role: "admin",
          action: "models.unpin",
          target: example.name,
          result: "ok",
          client: "cli",
          details: { id },
        });
        return example;
      });
      if (opts.json)
        return printJson({ id, object: "regression_example.deleted", deleted: true, name: e.name });
      say(`unpinned ${id} from ${e.name}`);
    });
}
