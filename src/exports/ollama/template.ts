/**
 * Writes a recognised layout as an Ollama TEMPLATE (Go text/template), in the shape of Ollama's own
 * templates for these families: a `.Messages` branch (what Ollama uses for every chat and generate
 * request today) and a `.System`/`.Prompt`/`.Response` branch for Ollama versions without messages.
 *
 * What Ollama gives the template: `.System` is every system message joined with blank lines (the
 * Modelfile's SYSTEM when the request has none) and `.Messages` still holds the system messages, so
 * the range skips them. The assistant's last message is left open (no end-of-turn), as in Ollama's
 * own templates, so the model can continue it; otherwise the generation prompt ends the prompt.
 */
import type { Layout, Role, SpecialTokens } from "./families.ts";

/** A Go string literal of `s` (JSON's escapes are a subset of Go's). */
function goString(s: string): string {
  return JSON.stringify(s);
}

/** `s` as template text: verbatim where that is safe, else as a quoted Go string action. */
function text(s: string): string {
  if (s === "") return "";
  const unsafe = s.includes("{{") || s.includes('"""') || /\p{Cs}/u.test(s);
  return unsafe ? `{{ ${goString(s.replace(/\p{Cs}/gu, "\uFFFD"))} }}` : s;
}

/**
 * Joins lines of template source with newlines that Go's `{{-` removes again, so the source reads
 * in lines while the rendering has no whitespace the layout does not have. Each line but the first
 * starts with `{{-`, and each but the last ends in a character that is not whitespace, so the
 * trimming removes exactly the joining newline.
 */
function joinLines(lines: string[]): string {
  lines.forEach((line, i) => {
    if (i > 0 && !line.startsWith("{{-")) throw new Error(`template line ${i} must start with {{-`);
    if (i < lines.length - 1 && /\s$/.test(line)) {
      throw new Error(`template line ${i} must not end in whitespace`);
    }
  });
  return lines.join("\n");
}

export function ollamaTemplate(layout: Layout, t: SpecialTokens): string {
  const { family } = layout;
  const open = (role: Role) => text(family.open(role, t));
  const close = (role: Role) => text(family.close(role, t));
  const generation = text(family.generation(t));
  const separator = text(family.systemSeparator);
  const preamble = text(layout.systemPreamble);
  const fallback = layout.systemPreamble + (layout.defaultSystem ?? "");

  /** The system turn (`turn` families), the same in both branches. */
  const systemTurn: string[] =
    family.system !== "turn"
      ? []
      : [
          `{{- if .System }}${open("system")}${preamble}{{ .System }}${close("system")}` +
            (fallback === ""
              ? "{{ end }}"
              : `{{ else }}${open("system")}${text(fallback)}${close("system")}{{ end }}`),
        ];

  const systemInUser =
    family.system === "first-user"
      ? `{{ if and $first $.System }}{{ $.System }}${separator}{{ end }}{{ $first = false }}`
      : family.system === "last-user"
        ? `{{ if and $last $.System }}{{ $.System }}${separator}{{ end }}`
        : "";
  const messages = [
    "{{- if .Messages }}",
    ...systemTurn,
    ...(family.system === "first-user" ? ["{{- $first := true }}"] : []),
    "{{- range $i, $_ := .Messages }}",
    "{{- $last := eq (len (slice $.Messages $i)) 1 }}",
    `{{- if eq .Role "user" }}${open("user")}${systemInUser}{{ .Content }}${close("user")}{{ else if eq .Role "assistant" }}${open("assistant")}{{ .Content }}{{ if not $last }}${close("assistant")}{{ end }}`,
    "{{- end }}",
    `{{- if and $last (ne .Role "assistant") }}${generation}{{ end }}`,
    "{{- end }}",
  ];
  const legacySystemInUser =
    family.system === "turn" ? "" : `{{ if .System }}{{ .System }}${separator}{{ end }}`;
  const legacy = [
    "{{- else }}",
    ...systemTurn,
    `{{- if .Prompt }}${open("user")}${legacySystemInUser}{{ .Prompt }}${close("user")}{{ end }}${generation}{{ .Response }}{{ if .Response }}${close("assistant")}{{ end }}`,
    "{{- end }}",
  ];
  return joinLines([...messages, ...legacy]);
}
