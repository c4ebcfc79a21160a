/**
 * A moderation policy from `tailor policies create|update` flags: a JSON file (`--file`) and flags
 * for each field, each side's checks (`--input-term`, `--output-pattern`, `--output-category
 * violence=0.4`, `--output-personal-data redact`), flags winning over the file.
 */
import { readFileSync } from "node:fs";
import { type Command, Option } from "commander";
import { z } from "zod";
import type { UpdatePolicyRequest } from "../../../protocol/api/moderation-policies.ts";
import {
  MODERATION_CATEGORIES,
  PERSONAL_DATA_ACTIONS,
  POLICY_MODES,
  type PolicyChecks,
} from "../../../protocol/moderation.ts";
import { TailorError } from "../../errors/index.ts";

export interface PolicyFlags {
  file?: string;
  description?: string;
  mode?: string;
  refusal?: string;
  logText?: boolean;
  inputTerm?: string[];
  outputTerm?: string[];
  inputPattern?: string[];
  outputPattern?: string[];
  inputCategory?: string[];
  outputCategory?: string[];
  inputPersonalData?: string;
  outputPersonalData?: string;
}

const collect = (v: string, all: string[] = []) => [...all, v];

/** The flags that say what a policy checks (create and update). */
export function policyOptions(cmd: Command): Command {
  cmd
    .option("--file <policy.json>", "the policy's fields as JSON (the API's body); flags win")
    .option("--description <text>", "what the policy is for")
    .addOption(
      new Option("--mode <mode>", "enforce, or flag_only (log, never block)").choices(POLICY_MODES),
    )
    .option(
      "--refusal <text>",
      "what the user sees instead of a blocked question's answer or a blocked answer",
    )
    .option("--log-text", "keep the full text with each flag (default: a masked excerpt only)");
  for (const side of ["input", "output"] as const) {
    const what = side === "input" ? "questions" : "answers";
    cmd
      .option(`--${side}-term <term>`, `block ${what} with this word or phrase (repeat)`, collect)
      .option(
        `--${side}-pattern <re2>`,
        `block ${what} matching this RE2 pattern (repeat)`,
        collect,
      )
      .option(
        `--${side}-category <category=score>`,
        `block ${what} scoring at least this in a category, e.g. violence=0.5 (repeat)`,
        collect,
      )
      .addOption(
        new Option(`--${side}-personal-data <action>`, `personal data in ${what}`).choices(
          PERSONAL_DATA_ACTIONS,
        ),
      );
  }
  return cmd;
}

/** The fields the flags give (with the file's), for the store to validate. */
export function policyFields(
  f: PolicyFlags,
  current?: { input: PolicyChecks; output: PolicyChecks },
): UpdatePolicyRequest {
  const file = f.file ? readPolicyFile(f.file) : {};
  const out: Record<string, unknown> = { ...file };
  if (f.description !== undefined) out.description = f.description;
  if (f.mode !== undefined) out.mode = f.mode;
  if (f.refusal !== undefined) out.refusal = f.refusal;
  if (f.logText) out.log_text = true;
  for (const side of ["input", "output"] as const) {
    const given = sideFlags(f, side);
    if (Object.keys(given).length === 0) continue;
    const base = (file[side] as Partial<PolicyChecks> | undefined) ?? current?.[side] ?? {};
    out[side] = { ...base, ...given };
  }
  return out as UpdatePolicyRequest;
}

function sideFlags(f: PolicyFlags, side: "input" | "output"): Partial<PolicyChecks> {
  const terms = side === "input" ? f.inputTerm : f.outputTerm;
  const patterns = side === "input" ? f.inputPattern : f.outputPattern;
  const categories = side === "input" ? f.inputCategory : f.outputCategory;
  const pii = side === "input" ? f.inputPersonalData : f.outputPersonalData;
  const out: Partial<PolicyChecks> = {};
  if (terms) out.blocked_terms = terms;
  if (patterns) out.patterns = patterns;
  if (categories) out.categories = Object.fromEntries(categories.map((c) => category(c, side)));
  if (pii) out.personal_data = pii as PolicyChecks["personal_data"];
  return out;
}

function category(value: string, side: string): [string, number] {
  const m = /^([a-z/-]+)=(0(?:\.\d+)?|1(?:\.0+)?)$/.exec(value.trim());
  if (!m || !(MODERATION_CATEGORIES as readonly string[]).includes(m[1] ?? "")) {
    throw new TailorError({
      code: "invalid_argument",
      message: `--${side}-category ${value}: give CATEGORY=SCORE with a score from 0 to 1, e.g. violence=0.5; categories: ${MODERATION_CATEGORIES.join(", ")}`,
    });
  }
  return [m[1] ?? "", Number(m[2])];
}

function readPolicyFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new TailorError({
      code: "file_not_found",
      message: `--file ${path}: cannot read it (${(e as Error).message})`,
      details: { file: path },
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new TailorError({
      code: "invalid_argument",
      message: `${path}: not JSON (${(e as Error).message}); give the policy's fields as one JSON object`,
      details: { file: path },
    });
  }
  const obj = z.record(z.string(), z.unknown()).safeParse(parsed);
  if (!obj.success) {
    throw new TailorError({
      code: "invalid_argument",
      message: `${path}: give the policy's fields as one JSON object`,
      details: { file: path },
    });
  }
  return obj.data;
}
