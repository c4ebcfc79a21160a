import { useCallback, useEffect, useState } from "react";
import { api, type Card, type FileInfo, type Plan, type Redaction, upload } from "../api.ts";
import { Histogram } from "../charts.tsx";
import { DropZone } from "../drop-zone.tsx";
import { Empty, ErrorBox, GLOSSARY, Hint, Loading, plural } from "../ui.tsx";
import { Tasks } from "./Tasks.tsx";
import type { PageProps } from "./types.ts";

interface Issue {
  line?: number;
  lines?: number[];
  code: string;
  message: string;
  field?: string;
}
interface Report {
  ok: boolean;
  examples: number;
  errors: Issue[];
  warnings: Issue[];
  pii: { line: number; type: string; preview: string; message: string; field: string }[];
  pii_counts: Record<string, number>;
}

/** What to do about each kind of problem, in a sentence. */
const FIXES: Record<string, string> = {
  not_json:
    "Each line must be one complete example in JSON. Check for a missing quote, comma or bracket, or save the spreadsheet as CSV instead.",
  invalid_utf8: "Save the file as UTF-8 (in a spreadsheet: Save As → CSV UTF-8).",
  line_too_long: "Split this example into shorter ones.",
  unknown_format:
    "Use JSONL with a messages list, or a CSV whose header names the columns prompt and completion (or question and answer).",
  missing_field: "Fill in the missing part: every example needs a question and an answer.",
  wrong_type:
    "This field must be text; remove any numbers or lists that stand where text should be.",
  unknown_role: 'Each message\'s role must be "system", "user", "assistant" or "tool".',
  no_assistant: "Add the answer you want: the assistant's message is what the model learns.",
  empty_content: "Write the missing text, or delete the example.",
  too_long_for_model: "Shorten this example or split it in two.",
  too_few_examples: "Add more examples: at least 10, and 50 to 100 give a clearly better model.",
  file_unreadable: "Save the file again as CSV or JSONL and upload that.",
  duplicate: "Delete the copies: the model would learn these examples more than the rest.",
  near_duplicate: "Keep one of these nearly identical examples, or make them differ.",
  few_examples: "More examples help: 50 to 100 good ones usually give a clearly better model.",
  similar_outputs: "Vary the answers, or the model will give that one answer to everything.",
  uneven_lengths: "Check these very long examples: they may be two examples stuck together.",
  will_be_cut: "Shorten this example: its end would not be learned.",
  invalid_tools:
    'Fix the function definitions: each needs a unique name and "parameters" that are a JSON Schema.',
  no_tools: 'Add the "tools" list with the functions this example calls.',
  unknown_function:
    'Call only functions listed in this line\'s "tools", or add the function there.',
  invalid_arguments:
    "Make the call's arguments a JSON object that fits the function's parameters (names, types, required fields).",
  unanswered_call:
    'Add the function\'s result ({"role": "tool", "tool_call_id": …}) right after the call.',
  unmatched_tool_result: "Give this result the id of the call it answers, or remove it.",
  duplicate_call_id: "Give each call in the example its own id.",
  misplaced_tool_calls: "Only assistant messages can call functions.",
  tool_never_called:
    "Add examples that call this function, or remove it: the model cannot learn when to call it.",
  one_function_called:
    "Add examples that call the other functions, or the model will learn to call only this one.",
};

const PII_NAMES: Record<string, [string, string]> = {
  EMAIL: ["e-mail address", "e-mail addresses"],
  PHONE: ["phone number", "phone numbers"],
  CARD: ["payment card number", "payment card numbers"],
  IBAN: ["bank account number", "bank account numbers"],
  NATIONAL_ID: ["national ID number", "national ID numbers"],
  IP: ["IP address", "IP addresses"],
  SECRET: ["password or API key", "passwords or API keys"],
  PERSON: ["person's name", "people's names"],
};
const piiCount = (type: string, n: number) => {
  const [one, many] = PII_NAMES[type] ?? [type.toLowerCase(), type.toLowerCase()];
  return plural(n, one, many);
};

function IssueList({ items, kind }: { items: Issue[]; kind: "error" | "warning" }) {
  return (
    <ul className={`issues ${kind}`}>
      {items.map((i) => (
        <li key={`${i.code}-${i.line ?? "file"}-${i.field ?? ""}-${i.message}`}>
          <span className="where">{i.line ? `Line ${i.line}` : "Whole file"}</span>
          <span className="what">
            {i.field ? `${i.field} ` : ""}
            {i.message}
          </span>
          {FIXES[i.code] && <span className="fix">Fix: {FIXES[i.code]}</span>}
        </li>
      ))}
    </ul>
  );
}

export function Examples({ flow, update, go }: PageProps) {
  const [file, setFile] = useState<FileInfo | null>(null);
  const [report, setReport] = useState<Report | null>(null);
  const [plan, setPlan] = useState<Plan | null>(null);
  const [planError, setPlanError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  const show = useCallback(async (id: string) => {
    setBusy("Reading the report…");
    setError(null);
    setPlan(null);
    setPlanError(null);
    let r: Report;
    try {
      setFile(await api<FileInfo>(`/v1/files/${id}`));
      r = await api<Report>(`/v1/files/${id}/report`);
      setReport(r);
    } catch (e) {
      setError(e);
      return;
    } finally {
      setBusy(null);
    }
    if (!r.ok) return;
    try {
      // token lengths need a tokenizer: the smallest offline base model's (the quickest to measure)
      const cards = await api<{ data: Card[] }>("/v1/fine_tuning/base_models");
      const model = cards.data.find((c) => c.offline)?.id ?? cards.data[0]?.id;
      if (model)
        setPlan(await api<Plan>("/v1/fine_tuning/plan", { body: { model, training_file: id } }));
    } catch (e) {
      setPlanError(e);
    }
  }, []);

  useEffect(() => {
    if (flow.fileId && !file) void show(flow.fileId);
  }, [flow.fileId, file, show]);

  const send = async (f: File | undefined) => {
    if (!f) return;
    setBusy(`Uploading and checking ${f.name}…`);
    setError(null);
    setFile(null);
    setReport(null);
    try {
      const stored = await upload(f);
      update({
        fileId: stored.id,
        fileName: stored.filename,
        jobId: null,
        model: null,
        notice: null,
      });
      await show(stored.id);
    } catch (e) {
      setError(e);
      setBusy(null);
    }
  };

  const redact = async () => {
    if (!file) return;
    setBusy("Replacing personal data with placeholders…");
    try {
      const r = await api<Redaction>(`/v1/files/${file.id}/redact`, { method: "POST" });
      const replaced = Object.entries(r.replaced)
        .map(([t, n]) => piiCount(t, n))
        .join(", ");
      update({
        fileId: r.file.id,
        fileName: r.file.filename,
        notice: `Replaced ${replaced || "nothing"} with placeholders such as [EMAIL]. Your original file is unchanged; training uses the redacted copy, ${r.file.filename}.`,
      });
      setBusy(null);
      go("/base");
    } catch (e) {
      setError(e);
      setBusy(null);
    }
  };

  const piiTotal = report ? Object.values(report.pii_counts).reduce((a, b) => a + b, 0) : 0;
  return (
    <section aria-labelledby="h-examples">
      <h1 id="h-examples">1. Your examples</h1>
      <Tasks current="answer" go={go} />
      <p className="lead">
        Give Tailor a file of examples: questions (or tasks) and the answers you want. The model
        learns to answer the way your examples do. {GLOSSARY.example}
      </p>
      <DropZone
        accept=".jsonl,.csv,.tsv,.json,.txt"
        title="Drop a CSV or JSONL file here, or click to choose one"
        helpId="drop-help"
        help={
          <>
            A spreadsheet saved as CSV with a header row such as <code>question,answer</code> or{" "}
            <code>prompt,completion</code> works; so does JSONL in OpenAI's chat format. Your file
            stays on this computer.
          </>
        }
        onFiles={(files) => void send(files[0])}
      />

      {busy && <Loading what={busy} />}
      {error !== null && <ErrorBox error={error} />}
      {!busy && !file && error === null && (
        <Empty title="No examples yet">Choose a file above to see what Tailor makes of it.</Empty>
      )}

      {flow.notice && (
        <div className="state ok" role="status">
          {flow.notice}
        </div>
      )}

      {file && report && !busy && (
        <div className="report" data-testid="report">
          <h2>What Tailor found in {file.filename}</h2>
          <p className={report.ok ? "verdict good" : "verdict bad"}>
            {report.ok
              ? `${plural(report.examples, "example")} ready to use.`
              : `${plural(report.errors.length, "problem")} to fix before training. Nothing else was changed.`}
          </p>
          <dl className="counts">
            <div>
              <dt>Examples</dt>
              <dd>{report.examples}</dd>
            </div>
            <div>
              <dt>Errors</dt>
              <dd>{report.errors.length}</dd>
            </div>
            <div>
              <dt>Warnings</dt>
              <dd>{report.warnings.length}</dd>
            </div>
            <div>
              <dt>Personal data</dt>
              <dd>{piiTotal}</dd>
            </div>
          </dl>

          {report.errors.length > 0 && (
            <>
              <h3>Errors: these must be fixed</h3>
              <IssueList items={report.errors} kind="error" />
              <p>Fix them in your file and drop it here again.</p>
            </>
          )}

          <h3>How long your examples are</h3>
          <Hint>{GLOSSARY.token}</Hint>
          {plan?.tokens ? (
            <>
              <Histogram bins={plan.tokens.histogram} />
              <p>
                Typical example: {Math.round(plan.tokens.median)} tokens (shortest {plan.tokens.min}
                , longest {plan.tokens.max}), as {plan.model} reads them.
              </p>
            </>
          ) : report.ok && planError === null ? (
            <Loading what="Measuring your examples with a base model's tokenizer…" />
          ) : planError !== null ? (
            <ErrorBox error={planError} />
          ) : (
            <Empty title="Measured once the errors are fixed" />
          )}

          {report.warnings.length > 0 && (
            <>
              <h3>Warnings: worth a look</h3>
              <IssueList items={report.warnings} kind="warning" />
            </>
          )}

          <h3>Personal data</h3>
          {report.pii.length === 0 ? (
            <p>
              None found: no e-mail addresses, phone numbers, card or account numbers, or names.
            </p>
          ) : (
            <div className="pii" data-testid="pii">
              <p>
                Found{" "}
                {Object.entries(report.pii_counts)
                  .map(([t, n]) => piiCount(t, n))
                  .join(", ")}
                . A model can repeat what it was trained on, so personal data is best replaced
                before training.
              </p>
              <ul className="issues">
                {report.pii.slice(0, 20).map((p) => (
                  <li key={`${p.line}-${p.field}-${p.preview}`}>
                    <span className="where">Line {p.line}</span>
                    <span className="what">
                      {p.message} (<code>{p.preview}</code>)
                    </span>
                  </li>
                ))}
              </ul>
              {report.ok && (
                <button type="button" className="primary" onClick={() => void redact()}>
                  Redact and continue
                </button>
              )}
            </div>
          )}

          {report.ok && (
            <div className="actions">
              <button
                type="button"
                className={report.pii.length ? "secondary" : "primary"}
                onClick={() => go("/base")}
              >
                {report.pii.length ? "Continue without redacting" : "Continue: choose a base model"}
              </button>
            </div>
          )}
        </div>
      )}
    </section>
  );
}
