/**
 * `tailor policies`: moderation policies (what to check on a model's questions and answers), the
 * models and keys they are attached to, trying one on a text, and the flags they logged. The same
 * stores as the API's, on TAILOR_HOME's database (the CLI is this machine's admin).
 */
import { type Command, Option } from "commander";
import type { ModerationFlag, Policy } from "../../../protocol/moderation.ts";
import { EngineModerator, EngineNameFinder } from "../../safety/index.ts";
import { tryPolicy } from "../../safety/moderation/policy-try.ts";
import { InferenceEngine } from "../../serving/index.ts";
import { positiveInt } from "../args.ts";
import { printJson, say, table } from "../output.ts";
import { withTailor } from "../services.ts";
import { type PolicyFlags, policyFields, policyOptions } from "./policies-input.ts";

const collect = (v: string, all: string[] = []) => [...all, v];
const when = (s: number) => new Date(s * 1000).toISOString().slice(0, 16).replace("T", " ");

function sideLine(p: Policy, side: "input" | "output"): string {
  const c = p[side];
  const parts = [
    ...Object.entries(c.categories).map(([k, v]) => `${k}>=${v}`),
    ...c.blocked_terms.map((t) => `"${t}"`),
    ...c.patterns.map((r) => `/${r}/`),
    ...(c.personal_data === "allow" ? [] : [`personal data: ${c.personal_data}`]),
  ];
  return parts.length ? parts.join(", ") : "-";
}

function describe(p: Policy): string {
  const attached = [
    ...p.attached.models.map((m) => `model ${m}`),
    ...p.attached.keys.map((k) => `key ${k}`),
  ];
  return [
    `${p.name} (${p.id}), ${p.mode}${p.log_text ? ", keeps full texts" : ""}`,
    ...(p.description ? [`  ${p.description}`] : []),
    `  questions: ${sideLine(p, "input")}`,
    `  answers:   ${sideLine(p, "output")}`,
    `  refusal:   ${p.refusal}`,
    `  attached:  ${attached.length ? attached.join(", ") : "- (only when a request names it)"}`,
  ].join("\n");
}

function show(p: Policy, json: boolean | undefined): void {
  if (json) printJson(p);
  else console.log(describe(p));
}

export function registerPolicies(program: Command): void {
  const policies = program
    .command("policies")
    .description(
      "moderation policies: what to check on a model's questions and answers, attached to models and API keys, and the flags they logged",
    );

  policyOptions(
    policies
      .command("create")
      .argument("<name>", "lower-case letters, digits, '.', '_' or '-'")
      .description("make a moderation policy (a bad pattern is refused naming it)")
      .option("--model <name>", "attach it to this model (repeat)", collect)
      .option("--key <id>", "attach it to this API key (repeat)", collect)
      .option("--json", "print JSON"),
  ).action(
    (name: string, f: PolicyFlags & { model?: string[]; key?: string[]; json?: boolean }) => {
      const p = withTailor((s) =>
        s.policies.create(
          { ...policyFields(f), name },
          {
            ...(f.model ? { models: f.model } : {}),
            ...(f.key ? { keys: f.key } : {}),
          },
        ),
      );
      if (!f.json) say(`created policy ${p.name}`);
      show(p, f.json);
    },
  );

  policies
    .command("list")
    .description("every moderation policy, by name")
    .option("--json", "print JSON")
    .action((f: { json?: boolean }) => {
      const list = withTailor((s) => s.policies.list());
      if (f.json) return printJson(list);
      if (!list.length)
        return say("no policies yet; `tailor policies create NAME --output-term WORD` makes one");
      console.log(
        table([
          ["NAME", "MODE", "QUESTIONS", "ANSWERS", "ATTACHED", "UPDATED"],
          ...list.map((p) => [
            p.name,
            p.mode,
            sideLine(p, "input"),
            sideLine(p, "output"),
            [...p.attached.models, ...p.attached.keys].join(", ") || "-",
            when(p.updated_at),
          ]),
        ]),
      );
    });

  policies
    .command("show")
    .argument("<policy>", "its name or id")
    .description("one moderation policy")
    .option("--json", "print JSON")
    .action((ref: string, f: { json?: boolean }) =>
      show(
        withTailor((s) => s.policies.get(ref)),
        f.json,
      ),
    );

  policyOptions(
    policies
      .command("update")
      .argument("<policy>", "its name or id")
      .option("--name <name>", "rename it")
      .description(
        "change a moderation policy: the flags given (a side's flags replace those checks only)",
      )
      .option("--json", "print JSON"),
  ).action((ref: string, f: PolicyFlags & { name?: string; json?: boolean }) => {
    const p = withTailor((s) => {
      const current = s.policies.get(ref);
      return s.policies.update(current.id, {
        ...policyFields(f, current),
        ...(f.name ? { name: f.name } : {}),
      });
    });
    if (!f.json) say(`updated policy ${p.name}`);
    show(p, f.json);
  });

  policies
    .command("delete")
    .argument("<policy>", "its name or id")
    .description("delete a moderation policy (its flags stay)")
    .option("--json", "print JSON")
    .action((ref: string, f: { json?: boolean }) => {
      const { id } = withTailor((s) => s.policies.delete(ref));
      if (f.json)
        return printJson({ id, object: "tailor.moderation_policy.deleted", deleted: true });
      console.log(`deleted policy ${ref} (${id})`);
    });

  for (const verb of ["attach", "detach"] as const) {
    policies
      .command(verb)
      .argument("<policy>", "its name or id")
      .description(
        verb === "attach"
          ? "check every chat with these models or keys under the policy"
          : "stop checking these models or keys under the policy",
      )
      .option("--model <name>", "a model (repeat)", collect)
      .option("--key <id>", "an API key id (repeat)", collect)
      .option("--json", "print JSON")
      .action((ref: string, f: { model?: string[]; key?: string[]; json?: boolean }) => {
        const targets = { models: f.model ?? [], keys: f.key ?? [] };
        const p = withTailor((s) =>
          verb === "attach" ? s.policies.attach(ref, targets) : s.policies.detach(ref, targets),
        );
        show(p, f.json);
      });
  }

  policies
    .command("try")
    .argument("<policy>", "its name or id")
    .argument("<text>", "a sample question or answer")
    .description(
      "what the policy decides about a text, as a question, an answer, or both (nothing is logged)",
    )
    .addOption(
      new Option("--stage <stage>", "as a question (input), an answer (output), or both")
        .choices(["input", "output", "both"])
        .default("both"),
    )
    .option("--json", "print JSON")
    .action(async (ref: string, text: string, f: { stage: string; json?: boolean }) => {
      const policy = withTailor((s) => s.policies.get(ref));
      // started only when the policy checks categories or personal data (names)
      const engine = new InferenceEngine();
      try {
        const stage = f.stage as "input" | "output" | "both";
        const out = await tryPolicy(policy, text, stage, {
          moderator: new EngineModerator(engine),
          names: new EngineNameFinder(engine),
        });
        if (f.json) return printJson(out);
        for (const d of out.decisions) {
          const why = d.hits.map(
            (h) =>
              `${h.kind} ${h.rule}${h.score !== undefined ? ` (${h.score.toFixed(2)} >= ${h.threshold})` : ""}`,
          );
          console.log(
            `${d.stage === "input" ? "as a question" : "as an answer"}: ${d.action}${why.length ? `: ${why.join(", ")}` : ""}`,
          );
          if (d.action !== "allowed" && d.text !== text) console.log(`  passed on: ${d.text}`);
        }
      } finally {
        await engine.close();
      }
    });

  policies
    .command("flags")
    .description(
      "what the policies caught, newest first (a masked excerpt; the full text only with --log-text policies)",
    )
    .option("--policy <policy>", "one policy's (name or id)")
    .option("--model <name>", "one model's")
    .addOption(new Option("--stage <stage>", "questions or answers").choices(["input", "output"]))
    .addOption(
      new Option("--action <action>", "what was done").choices(["flagged", "redacted", "blocked"]),
    )
    .option("--limit <n>", "at most this many (default 20)", (v) => positiveInt(v, "--limit"), 20)
    .option("--after <id>", "older than this flag (the last of the previous page)")
    .option("--json", "print JSON")
    .action(
      (f: {
        policy?: string;
        model?: string;
        stage?: string;
        action?: string;
        limit: number;
        after?: string;
        json?: boolean;
      }) => {
        const { flags, hasMore } = withTailor((s) => {
          const stored = f.policy ? s.policies.find(f.policy) : null;
          return s.flags.list({
            policyId: stored?.id,
            policyName: f.policy && !stored ? f.policy : undefined,
            model: f.model,
            stage: f.stage,
            action: f.action,
            after: f.after,
            limit: f.limit,
          });
        });
        if (f.json) return printJson({ object: "list", data: flags, has_more: hasMore });
        if (!flags.length) return say("no flags");
        console.log(
          table([
            ["WHEN", "POLICY", "MODEL", "STAGE", "ACTION", "RULES", "EXCERPT"],
            ...flags.map(flagRow),
          ]),
        );
        if (hasMore) say(`more: --after ${flags.at(-1)?.id}`);
      },
    );
}

function flagRow(f: ModerationFlag): string[] {
  return [
    when(f.created_at),
    f.policy_name,
    f.model ?? "-",
    f.stage,
    f.action,
    f.hits
      .map((h) => `${h.kind}:${h.rule}${h.score !== undefined ? `=${h.score.toFixed(2)}` : ""}`)
      .join(" "),
    f.excerpt.length > 60 ? `${f.excerpt.slice(0, 59)}…` : f.excerpt,
  ];
}
