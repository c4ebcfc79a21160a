/**
 * A stand-in for the engine's `export` command in unit tests: it writes small files where the real
 * one writes weights (a folder for peft and merged, a file starting "GGUF" for the GGUF formats),
 * sends a progress message and the `exported` message, and records each request.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { EngineMessage, ExportRequest } from "../../../protocol/index.ts";
import type { ExportRunner } from "../types.ts";

export interface FakeEngine {
  runner: ExportRunner;
  requests: ExportRequest[];
}

/**
 * `fail`: answer this engine failure instead of exporting (for every format, or `failOn`'s only).
 */
export function fakeEngine(
  fail?: { code: "invalid_request" | "internal"; message: string },
  chatTemplate:
    | string
    | null = "{% for m in messages %}<|im_start|>{{ m.content }}<|im_end|>{% endfor %}",
  failOn?: ExportRequest["format"],
): FakeEngine {
  const requests: ExportRequest[] = [];
  const runner: ExportRunner = async function* (_command, request) {
    requests.push(request);
    const hello: EngineMessage = {
      type: "hello",
      protocolVersion: 1,
      engineVersion: "fake",
      python: "3",
      torch: "0",
      device: "cpu",
    };
    yield hello;
    yield { type: "progress", stage: "load", message: "loading the base", current: 1, total: 2 };
    if (fail && (!failOn || failOn === request.format)) {
      yield { type: "failed", ...fail };
      return;
    }
    let bytes = 0;
    if (request.format === "peft" || request.format === "merged") {
      mkdirSync(request.out);
      const files =
        request.format === "peft"
          ? { "adapter_config.json": "{}", "adapter_model.safetensors": "adapter" }
          : { "config.json": "{}", "model.safetensors": "weights", "tokenizer.json": "{}" };
      for (const [name, text] of Object.entries(files)) {
        writeFileSync(join(request.out, name), text);
        bytes += text.length;
      }
    } else {
      const text = `GGUF ${request.format} ${request.quantization}`;
      writeFileSync(request.out, text);
      bytes = text.length;
    }
    yield {
      type: "exported",
      format: request.format,
      path: request.out,
      bytes,
      architecture: "LlamaForCausalLM",
      quantization: request.format.startsWith("gguf") ? (request.quantization ?? "f16") : null,
      chat_template: chatTemplate,
      stop_tokens: ["<|im_end|>"],
      bos_token: "<|im_start|>",
      eos_token: "<|im_end|>",
    };
  };
  return { runner, requests };
}
