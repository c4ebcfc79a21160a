/**
 * The conversations people had with an assistant, newest first (when, the first question, how many
 * messages, the feedback), each opened to be read, redacted or deleted; and all of them exported as
 * training data (JSON lines in the chat format Tailor trains on).
 */
import { useCallback, useEffect, useState } from "react";
import { Empty, ErrorBox, Loading, plural } from "../../ui.tsx";
import { ConversationView } from "./ConversationView.tsx";
import {
  type AssistantConversation,
  type AssistantConversationWithMessages,
  type AssistantObject,
  deleteConversation,
  type ExportFilter,
  exportConversations,
  getConversation,
  listConversations,
  type RedactionResult,
  redactConversation,
  redactConversations,
} from "./client.ts";
import { when } from "./Versions.tsx";

/** The downloaded file's name: the assistant's name made safe, and what it holds. */
const fileName = (a: AssistantObject, filter: ExportFilter) =>
  `${
    a.tailor.settings.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "assistant"
  }-${filter === "good" ? "good-answers" : "conversations"}.jsonl`;

function download(name: string, body: string) {
  const url = URL.createObjectURL(new Blob([body], { type: "application/jsonl" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** What a redaction replaced, in a sentence. */
function redacted(r: RedactionResult): string {
  const kinds = Object.entries(r.replaced).filter(([, n]) => n > 0);
  const total = kinds.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return `No personal data found in ${plural(r.conversations, "conversation")}.`;
  const what = kinds.map(([k, n]) => `${n} ${k.toLowerCase()}`).join(", ");
  return `Replaced ${plural(total, "piece")} of personal data (${what}) in ${r.changed} of ${plural(r.conversations, "conversation")}, with tags like [EMAIL].`;
}

function Counts({ c }: { c: AssistantConversation }) {
  const f = c.feedback;
  return (
    <span className="assistants-counts" data-testid="counts">
      <span>{f.up} helpful</span>
      <span>{f.down} not helpful</span>
      <span className={f.wrong ? "bad" : undefined}>{f.wrong} wrong</span>
    </span>
  );
}

export function Conversations({ assistant }: { assistant: AssistantObject }) {
  const id = assistant.id;
  const [list, setList] = useState<AssistantConversation[] | null>(null);
  const [more, setMore] = useState(false);
  const [open, setOpen] = useState<AssistantConversationWithMessages | null>(null);
  const [filter, setFilter] = useState<ExportFilter>("good");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState("");

  const load = useCallback(async () => {
    try {
      const r = await listConversations(id);
      setList(r.data);
      setMore(r.more);
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, [id]);
  useEffect(() => void load(), [load]);

  const act = async (what: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    setNote("");
    try {
      await what();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const show = (c: AssistantConversation) =>
    act(async () => setOpen(await getConversation(id, c.id)));
  const exportAll = () =>
    act(async () => {
      const body = await exportConversations(id, filter);
      const lines = body.split("\n").filter((l) => l.trim()).length;
      download(fileName(assistant, filter), body);
      setNote(`Downloaded ${plural(lines, "example")}.`);
    });
  const redact = (c: AssistantConversationWithMessages) =>
    act(async () => {
      const r = await redactConversation(id, c.id);
      setOpen(await getConversation(id, c.id));
      setNote(redacted(r));
      await load();
    });
  const redactAll = () => {
    if (
      !window.confirm(
        "Replace personal data (names, e-mail addresses, phone numbers, card numbers…) in every stored conversation of this assistant? It cannot be undone.",
      )
    )
      return;
    void act(async () => {
      const r = await redactConversations(id);
      setNote(redacted(r));
      if (open) setOpen(await getConversation(id, open.id));
      await load();
    });
  };
  const remove = (c: AssistantConversationWithMessages) => {
    if (!window.confirm("Delete this conversation? It cannot be brought back.")) return;
    void act(async () => {
      await deleteConversation(id, c.id);
      setOpen(null);
      setNote("Deleted.");
      await load();
    });
  };

  return (
    <section aria-labelledby="h-asst-convs">
      <h2 id="h-asst-convs">Conversations</h2>
      <p className="hint">
        What people asked and what the assistant answered, kept for{" "}
        {plural(assistant.tailor.settings.retention_days, "day")} after each conversation's last
        message.
      </p>
      <div className="inline-form assistants-export">
        <div className="field">
          <label htmlFor="asst-export">Export as training data</label>
          <select
            id="asst-export"
            value={filter}
            aria-describedby="asst-export-help"
            onChange={(e) => setFilter(e.target.value as ExportFilter)}
          >
            <option value="good">Good answers only</option>
            <option value="all">All answers</option>
          </select>
        </div>
        <button
          type="button"
          className="secondary"
          disabled={busy}
          onClick={() => void exportAll()}
        >
          Download
        </button>
        <button type="button" className="secondary" disabled={busy} onClick={redactAll}>
          Redact personal data in all
        </button>
        <button type="button" className="secondary" disabled={busy} onClick={() => void load()}>
          Refresh
        </button>
      </div>
      <p className="hint" id="asst-export-help">
        A JSON-lines file of chats you can add to your examples and train on. Good: answers with a
        thumbs up and not marked wrong (a correction replaces a wrong answer).
      </p>
      <p role="status" className="assistants-note">
        {note}
      </p>
      {error !== null && <ErrorBox error={error} retry={() => void load()} />}
      {!list && error === null && <Loading what="Loading conversations…" />}
      {list?.length === 0 && (
        <Empty title="No conversations yet">
          They show here once someone uses the assistant's page or the API.
        </Empty>
      )}
      {list && list.length > 0 && (
        <ul className="rows assistants-conv-list" data-testid="conversations">
          {list.map((c) => (
            <li key={c.id} className={open?.id === c.id ? "current" : undefined}>
              <span>
                <button
                  type="button"
                  className="link assistants-title"
                  aria-label={`Read the conversation “${c.title || "(no question)"}”`}
                  onClick={() => void show(c)}
                >
                  {c.title || "(no question)"}
                </button>
                <span className="hint">
                  {when(c.updated_at)} · {plural(c.message_count, "message")} ·{" "}
                  {c.channel === "share" ? "share page" : "API"}
                  {c.redacted ? " · redacted" : ""}
                </span>
              </span>
              <Counts c={c} />
            </li>
          ))}
        </ul>
      )}
      {more && <p className="hint">Only the newest 100 are listed.</p>}
      {open && (
        <ConversationView
          conversation={open}
          busy={busy}
          onRedact={() => void redact(open)}
          onDelete={() => remove(open)}
          onClose={() => setOpen(null)}
        />
      )}
    </section>
  );
}
