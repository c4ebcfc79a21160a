/**
 * Renders an Ollama TEMPLATE with Go's own text/template through scripts/ollama-template/main.go,
 * which builds the prompt the way Ollama's chat handler does (Modelfile SYSTEM first when the
 * conversation has none, messages collated, .System and .Messages). Built once per test process;
 * Go's build cache makes later builds take about half a second, the first one on a machine tens of
 * seconds (it compiles text/template and encoding/json).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ChatMessage } from "../index.ts";

const SOURCE = fileURLToPath(
  new URL("../../../../scripts/ollama-template/main.go", import.meta.url),
);

/** Why Go cannot be used here, or null when `go` is on PATH. */
export function goMissing(): string | null {
  const r = spawnSync("go", ["version"], { encoding: "utf8" });
  if (r.error !== undefined || r.status !== 0) {
    return "`go` is not on PATH: the Ollama template is rendered with Go's text/template (install Go, e.g. Debian's golang-go, to run this test)";
  }
  return null;
}

let binary: string | undefined;

/** Builds the renderer (once) and returns how long the build took, in milliseconds. */
export function buildRenderer(): number {
  const started = Date.now();
  if (binary === undefined) {
    const out = join(mkdtempSync(join(tmpdir(), "tailor-ollama-template-")), "ollama-template");
    const r = spawnSync("go", ["build", "-o", out, SOURCE], {
      encoding: "utf8",
      env: { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "" },
      timeout: 300_000,
    });
    if (r.status !== 0) throw new Error(`go build failed: ${r.stderr || r.error}`);
    binary = out;
  }
  return Date.now() - started;
}

export interface GoRender {
  template: string;
  /** The Modelfile's SYSTEM. */
  system?: string;
  messages: ChatMessage[];
  /** Render as Ollama does a template without .Messages (one turn). */
  legacy?: boolean;
}

/** The prompt Ollama would build from this template and conversation. */
export function renderGo(input: GoRender): string {
  buildRenderer();
  const r = spawnSync(binary as string, [], { input: JSON.stringify(input), encoding: "utf8" });
  if (r.status !== 0) throw new Error(`the Go template did not render: ${r.stderr}`);
  return r.stdout;
}
