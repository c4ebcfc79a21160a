import type { DataReport, LabelSummary } from "../datasets/index.ts";
import { formatSeconds } from "./output.ts";

const BAR = 30;

/** Labelled texts: each label's examples as a bar, and how unbalanced they are. */
function renderLabels(l: LabelSummary): string[] {
  const entries = Object.entries(l.counts);
  const peak = Math.max(...entries.map(([, n]) => n), 1);
  const width = Math.min(30, Math.max(...entries.map(([k]) => k.length)));
  const val = Object.keys(l.validation_counts).length > 0;
  return [
    `  labelled texts, ${entries.length} labels${l.multi_label ? " (multi-label: a text may have several)" : ""}; examples per label${val ? " (validation in brackets)" : ""}:`,
    ...entries.map(
      ([label, n]) =>
        `  ${label.slice(0, width).padStart(width)} | ${"█".repeat(Math.max(1, Math.round((n / peak) * BAR))).padEnd(BAR)} ${n}${val ? ` (${l.validation_counts[label] ?? 0})` : ""}`,
    ),
    ...(l.imbalance !== null && entries.length > 1
      ? [`  largest label / smallest: ${l.imbalance.toFixed(1)}`]
      : []),
  ];
}

/** Classification-like data: each kind of group's label rates ("gender: female 12 texts: approve 100%"). */
function renderGroupRates(g: NonNullable<DataReport["stats"]["group_rates"]>): string[] {
  return [
    "  labels by the group a text mentions:",
    ...Object.entries(g).map(([axis, groups]) => {
      const shown = Object.entries(groups ?? {})
        .sort((a, b) => b[1].texts - a[1].texts)
        .slice(0, 6)
        .map(([name, x]) => {
          const top = Object.entries(x.labels)
            .sort((a, b) => b[1] - a[1])
            .slice(0, 3)
            .map(([l, n]) => `${l} ${Math.round((n / x.texts) * 100)}%`);
          return `${name} ${x.texts} texts (${top.join(", ")})`;
        });
      return `  ${axis}: ${shown.join("; ")}`;
    }),
  ];
}

/** The data report in plain words, for a terminal. */
export function renderReport(r: DataReport): string {
  const out: string[] = [];
  const s = r.stats;
  out.push(
    `${r.file}: ${r.examples} usable example${r.examples === 1 ? "" : "s"}${s.validation_examples ? ` (+${s.validation_examples} for validation in ${r.val_file})` : ""}`,
  );
  if (s.preference_pairs)
    out.push(
      `  preference pairs: each line prefers one answer to another; train on them with --method dpo`,
      `  checked for each pair: both answers there, from the assistant, and different; the longer side against the model's context${s.tokens ? "" : " (with --base MODEL)"}`,
    );
  if (s.examples_with_tools)
    out.push(
      `  ${s.examples_with_tools} offer functions; ${s.tool_calls} function call${s.tool_calls === 1 ? "" : "s"} to learn`,
    );
  if (r.errors.length) {
    out.push("", `ERRORS (${r.errors.length}) — fix these before training:`);
    for (const e of r.errors.slice(0, 50))
      out.push(
        `  ${e.file ?? r.file}${e.line ? `:${e.line}` : ""}${e.field ? ` field ${e.field}` : ""}: ${e.message}`,
      );
    if (r.errors.length > 50) out.push(`  … and ${r.errors.length - 50} more (use --json for all)`);
  }
  if (r.warnings.length) {
    out.push("", `WARNINGS (${r.warnings.length}) — training works, but the result may suffer:`);
    for (const w of r.warnings.slice(0, 30))
      out.push(`  ${w.file ?? r.file}${w.line ? `:${w.line}` : ""}: ${w.message}`);
    if (r.warnings.length > 30)
      out.push(`  … and ${r.warnings.length - 30} more (use --json for all)`);
  }
  const piiTotal = Object.values(r.pii_counts).reduce((a, b) => a + (b ?? 0), 0);
  if (piiTotal) {
    const kinds = Object.entries(r.pii_counts).map(
      ([t, n]) => `${n} ${t.toLowerCase().replace("_", " ")}`,
    );
    out.push(
      "",
      `PRIVATE DATA: ${piiTotal} finding${piiTotal === 1 ? "" : "s"} (${kinds.join(", ")}). A model can repeat what it was trained on.`,
    );
    for (const p of r.pii.slice(0, 15))
      out.push(`  ${p.file}:${p.line} ${p.field}: ${p.message} (${p.preview})`);
    if (r.pii.length > 15) out.push(`  … and ${r.pii.length - 15} more`);
    out.push(
      "  To replace them with placeholders like [EMAIL] in a stored copy: tailor data add FILE --redact",
    );
  }
  out.push("", "STATISTICS");
  if (s.labels) out.push(...renderLabels(s.labels));
  else if (s.tokens) {
    out.push(
      `  tokens per example (${s.base}): min ${s.tokens.min}, median ${s.tokens.median}, max ${s.tokens.max}${s.context_length ? `; the model reads up to ${s.context_length}` : ""}`,
    );
    const peak = Math.max(...s.tokens.histogram.map((h) => h.count), 1);
    for (const h of s.tokens.histogram) {
      const bar = "█".repeat(Math.round((h.count / peak) * BAR));
      out.push(`  ${`${h.from}-${h.to}`.padStart(13)} | ${bar.padEnd(BAR)} ${h.count}`);
    }
    out.push(
      `  training tokens per epoch: ${s.tokens_per_epoch?.toLocaleString("en")}; ${s.epochs} epochs by default`,
    );
    if (s.estimated_training_seconds !== null) {
      out.push(
        `  estimated training time on this machine: about ${formatSeconds(s.estimated_training_seconds)} (measured ${Math.round(s.tokens_per_second ?? 0)} tokens/s)`,
      );
    }
  } else {
    out.push(`  ${s.examples} examples (token counts need a base model: --base MODEL)`);
  }
  if (s.group_rates) out.push(...renderGroupRates(s.group_rates));
  out.push("", r.ok ? "OK: ready to train." : "NOT READY: fix the errors above and check again.");
  return out.join("\n");
}
