/**
 * One stored conversation, as the owner reads it: each question, and each answer with the version
 * that wrote it, the passages it came from, the functions it called (status and time) and the
 * visitor's feedback beside it.
 */
import type { FunctionCallStatus } from "../../../../protocol/assistants.ts";
import { chunkLink } from "../../api.ts";
import { plural } from "../../ui.tsx";
import type {
  AssistantConversationWithMessages,
  ConversationMessage,
  FunctionCallRecord,
} from "./client.ts";
import { when } from "./Versions.tsx";

const STATUS: Record<FunctionCallStatus, string> = {
  ok: "answered",
  http_error: "answered with an error",
  refused: "refused by the guard",
  invalid_arguments: "arguments did not fit its schema",
  timeout: "took too long",
  too_large: "reply too long, cut",
  failed: "could not be reached",
  client: "handed to your app",
  limit: "not called: over the calls per answer",
};

const FINISH: Record<string, string> = {
  length: "Cut at the longest answer allowed.",
  content_filter: "Blocked by the moderation policy.",
  tool_calls: "Stopped for your app to run a function.",
  error: "The answer failed.",
};

function Call({ call }: { call: FunctionCallRecord }) {
  const bad = call.status !== "ok" && call.status !== "client";
  return (
    <li className={bad ? "assistants-call bad" : "assistants-call"} data-testid="function-call">
      <span className="mono">{call.name}</span>{" "}
      <span>
        {STATUS[call.status] ?? call.status}
        {call.http_status !== null ? ` (HTTP ${call.http_status})` : ""}
      </span>{" "}
      <span className="muted">{call.duration_ms} ms</span>
      <details>
        <summary>Arguments and reply</summary>
        <pre className="tool-args">{call.arguments}</pre>
        <pre className="tool-args">{call.output}</pre>
      </details>
    </li>
  );
}

function FeedbackNote({ m }: { m: ConversationMessage }) {
  const f = m.feedback;
  if (!f || (f.rating === null && !f.wrong && !f.comment && !f.correction))
    return <p className="muted">No feedback.</p>;
  return (
    <div className="assistants-feedback-note">
      {f.rating === "up" && <p className="good">Helpful (thumbs up)</p>}
      {f.rating === "down" && <p className="bad">Not helpful (thumbs down)</p>}
      {f.wrong && <p className="bad">Marked wrong</p>}
      {f.comment && <p>“{f.comment}”</p>}
      {f.correction && (
        <p>
          Should have said: <q>{f.correction}</q>
        </p>
      )}
    </div>
  );
}

function Answer({ m }: { m: ConversationMessage }) {
  return (
    <li className="assistants-answer" data-testid="answer">
      <div>
        <p className="turn assistant">{m.content || <span className="muted">(no text)</span>}</p>
        <p className="hint">
          {m.version !== null ? `Version ${m.version}` : ""}
          {m.finish_reason && FINISH[m.finish_reason] ? ` · ${FINISH[m.finish_reason]}` : ""}
        </p>
        {m.sources.length > 0 && (
          <p className="sources" data-testid="sources">
            Sources:{" "}
            {m.sources.map((c) => (
              <a key={`${c.file_id}-${c.chunk}`} href={chunkLink(c)}>
                [{c.index}] {c.filename}
                {c.location ? ` · ${c.location}` : ""}
              </a>
            ))}
          </p>
        )}
        {m.function_calls.length > 0 && (
          <ul className="assistants-calls" aria-label="Functions called">
            {m.function_calls.map((c) => (
              <Call key={c.call_id} call={c} />
            ))}
          </ul>
        )}
      </div>
      <aside className="assistants-feedback" aria-label="Feedback" data-testid="feedback">
        <FeedbackNote m={m} />
      </aside>
    </li>
  );
}

export function ConversationView({
  conversation: c,
  busy,
  onRedact,
  onDelete,
  onClose,
}: {
  conversation: AssistantConversationWithMessages;
  busy: boolean;
  onRedact: () => void;
  onDelete: () => void;
  onClose: () => void;
}) {
  return (
    <article className="assistants-conversation" aria-labelledby="h-asst-conv">
      <h3 id="h-asst-conv">{c.title || "(no question)"}</h3>
      <p className="hint">
        {c.channel === "share" ? "On the share page" : "Through the API"} · started{" "}
        {when(c.created_at)} · {plural(c.message_count, "message")} · kept until{" "}
        {when(c.expires_at)} (longer if it goes on)
        {c.redacted ? " · personal data redacted" : ""}
      </p>
      <ol className="assistants-messages">
        {c.messages.map((m) =>
          m.role === "user" ? (
            <li key={m.id} className="assistants-question">
              <p className="turn user">{m.content}</p>
            </li>
          ) : (
            <Answer key={m.id} m={m} />
          ),
        )}
      </ol>
      <div className="actions">
        <button type="button" className="secondary" onClick={onClose}>
          Close
        </button>
        <button type="button" className="secondary" disabled={busy} onClick={onRedact}>
          Redact personal data
        </button>
        <button type="button" className="danger" disabled={busy} onClick={onDelete}>
          Delete this conversation
        </button>
      </div>
    </article>
  );
}
