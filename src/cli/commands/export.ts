/** `tailor export MODEL --format peft|merged|gguf|ollama`: filled in by the exports work of issue 17. */
import type { Command } from "commander";

export function registerExport(_program: Command): void {}
