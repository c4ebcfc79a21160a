/**
 * Conversations' rows in the database and their API shapes: ids, the SQL that reads a conversation
 * with its message and feedback counts, and the JSON columns parsed with their schemas (a row
 * written by an older or broken build reads as empty rather than crashing a page).
 */
import { randomInt } from "node:crypto";
import { z } from "zod";
import { Citation } from "../../protocol/api/chat.ts";
import {
  type AssistantConversation,
  type ConversationMessage,
  Feedback,
  FunctionCallRecord,
} from "../../protocol/assistants.ts";

const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** `conv_…` / `msg_…`: the prefix and 24 random letters and digits (uniform, no modulo bias). */
export function newId(prefix: "conv" | "msg"): string {
  let s = "";
  for (let i = 0; i < 24; i++) s += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return `${prefix}_${s}`;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
export const DAY = 86_400;
export const TITLE_CHARS = 200;

/** The first question as a title: spaces collapsed, cut to 200 characters (never inside a surrogate pair). */
export function titleOf(text: string): string {
  return Array.from(text.replace(/\s+/g, " ").trim()).slice(0, TITLE_CHARS).join("");
}

export interface ConversationRow {
  id: string;
  assistant_id: string;
  channel: AssistantConversation["channel"];
  visitor: string;
  created_at: number;
  updated_at: number;
  expires_at: number;
  title: string;
  redacted: number;
  message_count: number;
  up: number | null;
  down: number | null;
  wrong: number | null;
}

/**
 * A conversation's columns with its message count and feedback counts; add WHERE/ORDER after it.
 * Only reading the feedback's JSON differs between SQLite and Postgres.
 */
export function conversationSelect(postgres: boolean): string {
  const rating = postgres
    ? "(m.feedback_json::jsonb ->> 'rating')"
    : "json_extract(m.feedback_json, '$.rating')";
  const wrong = postgres
    ? "(m.feedback_json::jsonb ->> 'wrong') = 'true'"
    : "json_extract(m.feedback_json, '$.wrong') = 1";
  const count = (cond: string) =>
    `(SELECT SUM(CASE WHEN ${cond} THEN 1 ELSE 0 END) FROM conversation_messages m
       WHERE m.conversation_id = c.id AND m.feedback_json IS NOT NULL)`;
  return `
  SELECT c.*,
    (SELECT COUNT(*) FROM conversation_messages m WHERE m.conversation_id = c.id) AS message_count,
    ${count(`${rating} = 'up'`)} AS up,
    ${count(`${rating} = 'down'`)} AS down,
    ${count(wrong)} AS wrong
  FROM conversations c`;
}

export function conversationOf(r: ConversationRow): AssistantConversation {
  return {
    id: r.id,
    object: "conversation",
    assistant_id: r.assistant_id,
    channel: r.channel,
    visitor: r.visitor,
    created_at: r.created_at,
    updated_at: r.updated_at,
    expires_at: r.expires_at,
    message_count: r.message_count,
    feedback: { up: r.up ?? 0, down: r.down ?? 0, wrong: r.wrong ?? 0 },
    title: r.title,
    redacted: r.redacted === 1,
  };
}

export interface MessageRow {
  seq: number;
  id: string;
  conversation_id: string;
  role: ConversationMessage["role"];
  content: string;
  created_at: number;
  version: number | null;
  sources_json: string;
  calls_json: string;
  finish_reason: string | null;
  feedback_json: string | null;
}

const Sources = z.array(Citation);
const Calls = z.array(FunctionCallRecord);

function parsed<T>(schema: z.ZodType<T>, json: string, fallback: T): T {
  try {
    const r = schema.safeParse(JSON.parse(json));
    return r.success ? r.data : fallback;
  } catch {
    return fallback;
  }
}

export function messageOf(r: MessageRow): ConversationMessage {
  return {
    id: r.id,
    role: r.role,
    content: r.content,
    created_at: r.created_at,
    version: r.version,
    sources: parsed(Sources, r.sources_json, []),
    function_calls: parsed(Calls, r.calls_json, []),
    finish_reason: r.finish_reason,
    feedback: r.feedback_json === null ? null : parsed(Feedback.nullable(), r.feedback_json, null),
  };
}
