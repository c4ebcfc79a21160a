/**
 * How `tailor assistants` shows an assistant, its versions and its conversations to a person:
 * short lines, secrets as "(secret, stored)", the share page's path and address.
 */
import type {
  Assistant,
  AssistantConversation,
  AssistantConversationWithMessages,
  AssistantFunction,
  AssistantSettings,
  AssistantVersion,
  ConversationMessage,
  Publication,
} from "../../../protocol/assistants.ts";
import { table } from "../output.ts";

export const DEFAULT_SERVER = "http://127.0.0.1:8700";

export const when = (s: number) => new Date(s * 1000).toISOString().slice(0, 16).replace("T", " ");
const cut = (s: string, n: number) => {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
};
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** `/a/<slug>` while published, else null. */
export const sharePath = (p: Publication) => (p.published && p.slug ? `/a/${p.slug}` : null);

export function shareUrl(path: string, server: string): string {
  return `${server.replace(/\/+$/, "")}${path}`;
}

function functionLines(fn: AssistantFunction): string[] {
  const about = fn.description ? `: ${cut(fn.description, 70)}` : "";
  if (fn.kind === "client") return [`  ${fn.name} (client: the caller runs it)${about}`];
  return [
    `  ${fn.name} (HTTP ${fn.method} ${fn.url}, ${fn.timeout_ms} ms, ${fn.max_response_bytes} bytes at most)${about}`,
    ...fn.headers.map((h) => `    ${h.name}: ${h.secret ? "(secret, stored)" : h.value}`),
  ];
}

function publicationLine(id: string, p: Publication, server: string): string {
  const path = sharePath(p);
  if (!path) return `not shared (tailor assistants publish ${id} shares it)`;
  return `published ${p.access === "public" ? "for anyone" : p.access === "passcode" ? "with a passcode" : "for Tailor keys only"} at ${path} (${shareUrl(path, server)}), ${p.visitor_requests_per_minute} messages a minute per visitor`;
}

export function settingsLines(s: AssistantSettings): string[] {
  const sampling = `temperature ${s.sampling.temperature}, top-p ${s.sampling.top_p}, top-k ${s.sampling.top_k}, at most ${s.sampling.max_tokens} tokens`;
  const kb = s.knowledge.vector_store_ids;
  const choice = typeof s.tool_choice === "string" ? s.tool_choice : `always ${s.tool_choice.name}`;
  return [
    `  model:        ${s.model}`,
    `  instructions: ${s.instructions ? cut(s.instructions, 100) : "-"}`,
    `  sampling:     ${sampling}`,
    `  knowledge:    ${kb.length ? `${kb.join(", ")} (${s.knowledge.max_passages} passages)` : "-"}`,
    `  moderation:   ${s.moderation_policy ?? "-"}`,
    `  greeting:     ${s.greeting ? cut(s.greeting, 100) : "-"}`,
    ...s.suggested_questions.map((q, i) => `  ${i ? "              " : "suggestions:  "}${q}`),
    `  retention:    conversations deleted ${plural(s.retention_days, "day")} after their last message`,
    ...(s.functions.length
      ? [
          `functions (${choice}, ${plural(s.max_function_calls, "call")} per answer at most${s.allowed_hosts.length ? `, hosts: ${s.allowed_hosts.join(", ")}` : ""}):`,
          ...s.functions.flatMap(functionLines),
        ]
      : []),
  ];
}

export function assistantText(a: Assistant, server: string): string {
  return [
    `${a.settings.name} (${a.id}), version ${a.version}, owner ${a.owner}, updated ${when(a.updated_at)}`,
    ...settingsLines(a.settings),
    publicationLine(a.id, a.publication, server),
  ].join("\n");
}

export function versionText(v: AssistantVersion): string {
  return [
    `${v.settings.name} (${v.assistant_id}), version ${v.version}, made ${when(v.created_at)} by ${v.author}`,
    ...settingsLines(v.settings),
  ].join("\n");
}

export function assistantsTable(list: Assistant[]): string {
  return table([
    ["NAME", "ID", "MODEL", "VERSION", "SHARED", "UPDATED"],
    ...list.map((a) => [
      a.settings.name,
      a.id,
      a.settings.model,
      String(a.version),
      sharePath(a.publication) ?? "-",
      when(a.updated_at),
    ]),
  ]);
}

export function versionsTable(list: AssistantVersion[]): string {
  return table([
    ["VERSION", "MADE", "BY", "NAME", "MODEL"],
    ...list.map((v) => [
      String(v.version),
      when(v.created_at),
      v.author,
      v.settings.name,
      v.settings.model,
    ]),
  ]);
}

const feedbackCell = (f: AssistantConversation["feedback"]) =>
  [f.up && `${f.up} up`, f.down && `${f.down} down`, f.wrong && `${f.wrong} wrong`]
    .filter(Boolean)
    .join(", ") || "-";

export function conversationsTable(list: AssistantConversation[]): string {
  return table([
    ["WHEN", "ID", "FIRST QUESTION", "MESSAGES", "FEEDBACK", "FROM"],
    ...list.map((c) => [
      when(c.updated_at),
      c.id,
      cut(c.title, 50) || "-",
      String(c.message_count),
      feedbackCell(c.feedback),
      c.channel === "share" ? "share page" : "API",
    ]),
  ]);
}

function messageLines(m: ConversationMessage): string[] {
  if (m.role === "user") return [`you (${when(m.created_at)}): ${m.content}`];
  const head = `assistant${m.version === null ? "" : ` (version ${m.version})`}${m.finish_reason && m.finish_reason !== "stop" ? ` [${m.finish_reason}]` : ""}:`;
  const lines = [head, ...m.content.split("\n").map((l) => `  ${l}`)];
  for (const c of m.function_calls)
    lines.push(
      `  called ${c.name}(${cut(c.arguments, 80)}): ${c.status}${c.http_status === null ? "" : ` ${c.http_status}`}, ${c.duration_ms} ms${c.output ? ` -> ${cut(c.output, 80)}` : ""}`,
    );
  for (const s of m.sources)
    lines.push(`  [${s.index}] ${s.filename}${s.location ? `, ${s.location}` : ""}`);
  const f = m.feedback;
  if (f) {
    const parts = [
      f.rating === "up" ? "thumbs up" : f.rating === "down" ? "thumbs down" : null,
      f.wrong ? "marked wrong" : null,
      f.comment ? `"${f.comment}"` : null,
      f.correction ? `should have been: ${f.correction}` : null,
    ].filter(Boolean);
    if (parts.length) lines.push(`  feedback: ${parts.join("; ")}`);
  }
  return lines;
}

export function conversationText(c: AssistantConversationWithMessages): string {
  return [
    `${c.id}, ${c.channel === "share" ? "on the share page" : "through the API"}, started ${when(c.created_at)}, ${plural(c.message_count, "message")}, deleted after ${when(c.expires_at)}${c.redacted ? " (personal data redacted)" : ""}`,
    "",
    ...c.messages.flatMap((m) => [...messageLines(m), ""]),
  ]
    .join("\n")
    .trimEnd();
}
