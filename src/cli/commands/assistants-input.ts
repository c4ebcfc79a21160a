/**
 * An assistant's settings from `tailor assistants create|update` flags: a JSON file of the settings
 * (`--from`, protocol/assistants.ts AssistantSettingsInput: functions and everything else), and a
 * flag for each common field, flags winning over the file. A bad file is reported with its line
 * and field, a bad flag by its name; an unknown field is refused (a typo would otherwise be dropped
 * without a word).
 */
import { readFileSync } from "node:fs";
import { type Command, InvalidArgumentError } from "commander";
import type { z } from "zod";
import {
  type Assistant,
  AssistantSettingsInput,
  ClientFunction,
  HeaderInput,
  HttpFunctionInput,
  Knowledge,
  Sampling,
} from "../../../protocol/assistants.ts";
import { TailorError } from "../../errors/index.ts";
import { fieldName, type JsonPath, JsonSyntaxError, lineOf, parseJson } from "./assistants-json.ts";

export interface SettingsFlags {
  from?: string;
  name?: string;
  model?: string;
  instructions?: string;
  instructionsFile?: string;
  temperature?: number;
  topP?: number;
  topK?: number;
  maxTokens?: number;
  kb?: string[];
  policy?: string;
  greeting?: string;
  suggest?: string[];
  retentionDays?: number;
}

type Settings = Partial<AssistantSettingsInput>;

const collect = (v: string, all: string[] = []) => [...all, v];
const number = (v: string) => {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n)) throw new InvalidArgumentError("give a number");
  return n;
};

/** The flags create and update share. */
export function settingsOptions(cmd: Command, creating: boolean): Command {
  return cmd
    .option(
      "--from <settings.json>",
      "the settings as JSON (functions, allowed hosts and everything else); flags win over it",
    )
    .option("--name <name>", creating ? "what people see it called" : "rename it")
    .option("--model <model>", "a base or fine-tuned model (`tailor models list`)")
    .option("--instructions <text>", "what it is for and how it answers (its system message)")
    .option("--instructions-file <file>", "the instructions from a text file")
    .option("--temperature <n>", "sampling temperature, 0 to 2 (default 0.7)", number)
    .option("--top-p <n>", "nucleus sampling, above 0 up to 1 (default 1)", number)
    .option("--top-k <n>", "sample among the k likeliest tokens, 0 for all (default 0)", number)
    .option("--max-tokens <n>", "longest answer, in tokens (default 512)", number)
    .option(
      "--kb <kb>",
      `a knowledge base to answer from, name or id (repeat)${creating ? "" : "; 'none' for none"}`,
      collect,
    )
    .option(
      "--policy <policy>",
      `a moderation policy, name or id${creating ? "" : "; 'none' for none"}`,
    )
    .option("--greeting <text>", "the first thing visitors see")
    .option("--suggest <question>", "a suggested first question (repeat, at most 6)", collect)
    .option(
      "--retention-days <n>",
      "delete conversations this many days after (default 30)",
      number,
    );
}

/** Which flag sets which field (named in errors). */
const FLAG_OF: Record<string, string> = {
  name: "--name",
  model: "--model",
  instructions: "--instructions",
  "sampling.temperature": "--temperature",
  "sampling.top_p": "--top-p",
  "sampling.top_k": "--top-k",
  "sampling.max_tokens": "--max-tokens",
  "knowledge.vector_store_ids": "--kb",
  moderation_policy: "--policy",
  greeting: "--greeting",
  suggested_questions: "--suggest",
  retention_days: "--retention-days",
};

/**
 * The settings the flags and the file give: all of them for a new assistant (`current` undefined),
 * else the fields to change (sampling and knowledge merged with `current`'s, as the store replaces
 * a top-level field whole). `resolveKb` turns a knowledge base's name into its id.
 */
export function settingsFrom(
  f: SettingsFlags,
  resolveKb: (ref: string) => string,
  current?: Assistant,
): { settings: Settings; explain: (e: unknown) => unknown } {
  const file = f.from ? readSettingsFile(f.from) : null;
  const out: Record<string, unknown> = { ...(file?.value ?? {}) };
  const fromFlags = new Set<string>();
  const set = (field: string, value: unknown) => {
    if (value === undefined) return;
    fromFlags.add(field);
    const [top, sub] = field.split(".") as [string, string | undefined];
    if (sub === undefined) out[top] = value;
    else out[top] = { ...(out[top] as object | undefined), [sub]: value };
  };
  if (f.instructions !== undefined && f.instructionsFile !== undefined)
    throw invalid("give --instructions or --instructions-file, not both");
  set("name", f.name);
  set("model", f.model);
  set("instructions", f.instructionsFile ? readText(f.instructionsFile) : f.instructions);
  set("sampling.temperature", f.temperature);
  set("sampling.top_p", f.topP);
  set("sampling.top_k", f.topK);
  set("sampling.max_tokens", f.maxTokens);
  if (f.kb)
    set(
      "knowledge.vector_store_ids",
      f.kb.includes("none") ? [] : f.kb.map((ref) => resolveKb(ref)),
    );
  if (f.policy !== undefined) set("moderation_policy", f.policy === "none" ? null : f.policy);
  set("greeting", f.greeting);
  set("suggested_questions", f.suggest);
  set("retention_days", f.retentionDays);

  if (current) {
    // a part of sampling or knowledge keeps the rest as it is
    for (const part of ["sampling", "knowledge"] as const)
      if (out[part] !== undefined)
        out[part] = { ...current.settings[part], ...(out[part] as object) };
  }
  const schema = current ? AssistantSettingsInput.partial() : AssistantSettingsInput;
  const parsed = schema.safeParse(out);
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    const field = fieldName(issue.path);
    const flag = FLAG_OF[field];
    if (flag && fromFlags.has(field)) throw invalid(`${flag}: ${issueText(issue)}`, field);
    if (file && hasPath(file.value, issue.path.slice(0, 1)))
      throw fileError(file, issue.path, issueText(issue));
    if (flag)
      throw invalid(`${flag} is required${f.from ? ` (or "${field}" in ${f.from})` : ""}`, field);
    throw invalid(`${field}: ${issueText(issue)}`, field);
  }
  // the input as given (the store applies the defaults), keys only for what was given
  return { settings: out as Settings, explain: (e) => explain(e, fromFlags, file) };
}

/**
 * The store's error about a field (`functions[0].url: ...`) said in the user's terms: the flag that
 * gave it, or the file's line.
 */
function explain(e: unknown, fromFlags: Set<string>, file: SettingsFile | null): unknown {
  if (!(e instanceof TailorError) || typeof e.details.field !== "string") return e;
  const field = e.details.field;
  const path = field.match(/[^.[\]]+/g)?.map((p) => (/^\d+$/.test(p) ? Number(p) : p)) ?? [];
  const base = fieldName(path.filter((p) => typeof p === "string"));
  const rest = e.message.startsWith(`${field}: `) ? e.message.slice(field.length + 2) : e.message;
  const flag = FLAG_OF[base];
  if (flag && fromFlags.has(base))
    return new TailorError({
      code: e.code,
      message: `${flag}: ${rest}`,
      cause: e,
      details: e.details,
    });
  if (file && hasPath(file.value, path.slice(0, 1))) {
    const line = lineOf(file.text, path);
    return new TailorError({
      code: e.code,
      message: `${file.path} line ${line}: ${field}: ${rest}`,
      cause: e,
      details: { ...e.details, file: file.path, line },
    });
  }
  return e;
}

/** A zod issue in plain words ("must be at most 2", "is missing"). */
export function issueText(issue: z.core.$ZodIssue): string {
  const unit = (origin: string) =>
    origin === "string" ? " characters" : origin === "array" ? " items" : "";
  switch (issue.code) {
    case "too_big":
      return `must be at most ${issue.maximum}${unit(issue.origin)}`;
    case "too_small":
      return `must be at least ${issue.minimum}${unit(issue.origin)}`;
    case "invalid_type":
      return issue.input === undefined
        ? "is missing"
        : `must be ${issue.expected === "array" ? "a list" : `a ${issue.expected}`}`;
    case "invalid_format":
      return issue.format === "url"
        ? "must be a URL such as https://api.example.com/orders"
        : issue.message;
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    default:
      return issue.message;
  }
}

interface SettingsFile {
  path: string;
  text: string;
  value: Record<string, unknown>;
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new TailorError({
      code: "file_not_found",
      message: `${path}: cannot read it (${(e as Error).message})`,
      details: { file: path },
    });
  }
}

/** The file, parsed and checked field by field (every field may be missing: flags may give it). */
function readSettingsFile(path: string): SettingsFile {
  const text = readText(path);
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (e) {
    const where = e instanceof JsonSyntaxError ? ` line ${e.line}` : "";
    throw new TailorError({
      code: "invalid_argument",
      message: `${path}${where}: not JSON (${e instanceof JsonSyntaxError ? e.message.replace(/^line \d+, /, "") : (e as Error).message}); give the assistant's settings as one JSON object`,
      details: { file: path, line: e instanceof JsonSyntaxError ? e.line : undefined },
    });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new TailorError({
      code: "invalid_argument",
      message: `${path}: give the assistant's settings as one JSON object ({"name": ..., "model": ..., "functions": [...]})`,
      details: { file: path },
    });
  const file = { path, text, value: value as Record<string, unknown> };
  const unknown = unknownField(file.value);
  if (unknown) throw fileError(file, unknown.path, unknown.message);
  const parsed = AssistantSettingsInput.partial().safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    throw fileError(file, issue.path, issueText(issue));
  }
  return file;
}

function fileError(file: SettingsFile, path: JsonPath, message: string): TailorError {
  const line = lineOf(file.text, path);
  const field = fieldName(path);
  return new TailorError({
    code: "invalid_argument",
    message: `${file.path} line ${line}: ${field ? `${field}: ` : ""}${message}`,
    details: { file: file.path, line, field },
  });
}

function invalid(message: string, field?: string): TailorError {
  return new TailorError({ code: "invalid_argument", message, details: { field } });
}

function hasPath(value: unknown, path: JsonPath): boolean {
  let v = value;
  for (const p of path) {
    if (typeof v !== "object" || v === null || !(String(p) in v)) return false;
    v = (v as Record<string, unknown>)[String(p)];
  }
  return true;
}

const keysOf = (schema: { shape: object }) => Object.keys(schema.shape);
const TOP = keysOf(AssistantSettingsInput);
const NESTED: Record<string, string[]> = {
  sampling: keysOf(Sampling),
  knowledge: keysOf(Knowledge),
};

/** The first field the settings do not have (with where it belongs, when it is a nested one's). */
function unknownField(v: Record<string, unknown>): { path: JsonPath; message: string } | null {
  const check = (obj: unknown, allowed: string[], at: JsonPath, hint?: (k: string) => string) => {
    if (typeof obj !== "object" || obj === null || Array.isArray(obj)) return null;
    const bad = Object.keys(obj).find((k) => !allowed.includes(k));
    if (bad === undefined) return null;
    return {
      path: [...at, bad],
      message: `not a setting here${hint?.(bad) ?? ""}; the fields are ${allowed.join(", ")}`,
    };
  };
  const top = check(v, TOP, [], (k) => {
    const home = Object.entries(NESTED).find(([, keys]) => keys.includes(k))?.[0];
    return home ? ` (did you mean ${home}.${k}?)` : "";
  });
  if (top) return top;
  for (const [part, keys] of Object.entries(NESTED)) {
    const bad = check(v[part], keys, [part]);
    if (bad) return bad;
  }
  const functions = Array.isArray(v.functions) ? v.functions : [];
  for (const [n, fn] of functions.entries()) {
    const kind = (fn as { kind?: unknown } | null)?.kind;
    const schema = kind === "http" ? HttpFunctionInput : kind === "client" ? ClientFunction : null;
    if (!schema) continue; // the schema says what kind must be
    const bad = check(fn, keysOf(schema), ["functions", n]);
    if (bad) return bad;
    const headers = (fn as { headers?: unknown }).headers;
    for (const [h, header] of (Array.isArray(headers) ? headers : []).entries()) {
      const badHeader = check(header, keysOf(HeaderInput), ["functions", n, "headers", h]);
      if (badHeader) return badHeader;
    }
  }
  return null;
}
