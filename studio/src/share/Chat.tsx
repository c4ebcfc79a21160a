/**
 * The chat: the greeting, suggested questions while nothing is asked yet, the conversation with
 * answers streamed as they are written, and the question box. The conversation is remembered in
 * this tab (a reload continues it; "New conversation" starts another).
 */
import {
  type FormEvent,
  type KeyboardEvent,
  useCallback,
  useEffect,
  useRef,
  useState,
} from "react";
import { Answer, type Shown } from "./Answer.tsx";
import {
  ask,
  getConversation,
  ShareError,
  type ShareInfo,
  type ShareMessage,
  saveConversation,
  savedConversation,
  startConversation,
} from "./api.ts";

const shown = (m: ShareMessage): Shown => ({
  key: m.id,
  id: m.id,
  role: m.role,
  content: m.content,
  sources: m.sources,
  calls: m.function_calls.map((f, i) => ({ call_id: `${m.id}-${i}`, ...f })),
  feedback: m.feedback,
  finish_reason: m.finish_reason,
  streaming: false,
  error: null,
});

let localIds = 0;
const localKey = () => `local-${++localIds}`;

export function Chat({
  info,
  onLost,
}: {
  info: ShareInfo;
  onLost: (e: ShareError) => Promise<void>;
}) {
  const [conversation, setConversation] = useState<string | null>(savedConversation());
  const [messages, setMessages] = useState<Shown[]>([]);
  const [draft, setDraft] = useState("");
  const [busy, setBusy] = useState(false);
  const [alert, setAlert] = useState<string | null>(null);
  const box = useRef<HTMLTextAreaElement>(null);
  const end = useRef<HTMLDivElement>(null);

  // a reload continues the conversation of this tab, if it is still there
  useEffect(() => {
    const id = savedConversation();
    if (!id) return;
    getConversation(id)
      .then((c) => setMessages(c.messages.map(shown)))
      .catch(() => {
        saveConversation(null);
        setConversation(null);
      });
  }, []);

  const count = messages.length;
  useEffect(() => {
    if (count > 0) end.current?.scrollIntoView({ block: "end", behavior: "smooth" });
  }, [count]);

  const update = useCallback((key: string, change: (m: Shown) => Shown) => {
    setMessages((all) => all.map((m) => (m.key === key ? change(m) : m)));
  }, []);

  const send = async (question: string) => {
    const content = question.trim();
    if (!content || busy) return;
    setBusy(true);
    setAlert(null);
    const asked = localKey();
    const answer = localKey();
    const blank = { sources: [], calls: [], feedback: null, finish_reason: null, error: null };
    setMessages((all) => [
      ...all,
      { ...blank, key: asked, id: null, role: "user", content, streaming: false },
      { ...blank, key: answer, id: null, role: "assistant", content: "", streaming: true },
    ]);
    setDraft("");
    try {
      let id = conversation;
      if (!id) {
        id = (await startConversation()).id;
        saveConversation(id);
        setConversation(id);
      }
      const controller = new AbortController();
      for await (const ev of ask(id, content, controller.signal)) {
        if (ev.type === "question") update(asked, (m) => ({ ...m, id: ev.message.id }));
        else if (ev.type === "sources") update(answer, (m) => ({ ...m, sources: ev.sources }));
        else if (ev.type === "text")
          update(answer, (m) => ({ ...m, content: m.content + ev.delta }));
        else if (ev.type === "function_call")
          update(answer, (m) => ({
            ...m,
            calls: [...m.calls, { call_id: ev.call_id, name: ev.name, status: "running" }],
          }));
        else if (ev.type === "function_result")
          update(answer, (m) => ({
            ...m,
            calls: m.calls.some((c) => c.call_id === ev.call_id)
              ? m.calls.map((c) => (c.call_id === ev.call_id ? { ...c, status: ev.status } : c))
              : [...m.calls, { call_id: ev.call_id, name: ev.name, status: ev.status }],
          }));
        else if (ev.type === "filtered") update(answer, (m) => ({ ...m, content: ev.refusal }));
        else if (ev.type === "done") update(answer, () => ({ ...shown(ev.message), key: answer }));
        else if (ev.type === "error")
          update(answer, (m) => ({ ...m, streaming: false, error: ev.message }));
      }
      update(answer, (m) => ({ ...m, streaming: false }));
    } catch (e) {
      // nothing was answered: take both bubbles back and give the question back to edit or resend
      setMessages((all) => all.filter((m) => m.key !== asked && m.key !== answer));
      setDraft(content);
      const err = e instanceof ShareError ? e : new ShareError((e as Error).message, 0);
      if (err.status === 404 && conversation) {
        saveConversation(null);
        setConversation(null);
      }
      setAlert(err.message);
      if (err.status === 401 || err.status === 404) await onLost(err);
    } finally {
      setBusy(false);
      box.current?.focus();
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void send(draft);
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void send(draft);
    }
  };
  const restart = () => {
    saveConversation(null);
    setConversation(null);
    setMessages([]);
    setAlert(null);
    box.current?.focus();
  };

  return (
    <div className="share">
      <header className="share-top">
        <h1>{info.name}</h1>
        {messages.length > 0 && (
          <button type="button" className="quiet" onClick={restart} disabled={busy}>
            New conversation
          </button>
        )}
      </header>
      <p className="notice" role="note">
        {info.notice}
      </p>
      <main className="share-chat">
        <ol className="messages" aria-label="Conversation">
          {info.greeting && (
            <li className="message assistant greeting">
              <div className="bubble">{info.greeting}</div>
            </li>
          )}
          {messages.map((m) =>
            m.role === "user" ? (
              <li key={m.key} className="message user">
                <span className="sr-only">You asked: </span>
                <div className="bubble">{m.content}</div>
              </li>
            ) : (
              <Answer
                key={m.key}
                message={m}
                conversation={conversation}
                onChange={(next) => update(m.key, () => next)}
              />
            ),
          )}
        </ol>
        {messages.length === 0 && info.suggested_questions.length > 0 && (
          <ul className="suggested" aria-label="Suggested questions">
            {info.suggested_questions.map((q) => (
              <li key={q}>
                <button type="button" onClick={() => void send(q)} disabled={busy}>
                  {q}
                </button>
              </li>
            ))}
          </ul>
        )}
        <div ref={end} />
      </main>
      <form className="composer" onSubmit={submit}>
        {alert && (
          <p className="share-error" role="alert">
            {alert}
          </p>
        )}
        <div className="composer-row">
          <label htmlFor="question" className="sr-only">
            Your question
          </label>
          <textarea
            id="question"
            ref={box}
            rows={2}
            value={draft}
            maxLength={info.max_question_chars}
            placeholder="Ask a question…"
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={onKey}
          />
          <button type="submit" className="primary" disabled={busy || !draft.trim()}>
            {busy ? "Answering…" : "Send"}
          </button>
        </div>
      </form>
    </div>
  );
}
