/**
 * node-llama-cpp on its own (a chat session on one context sequence, the GGUF's chat template),
 * as a contender beside Tailor's llama.cpp engine: the difference between the two is what Tailor's
 * layer costs. Greedy; on this machine always without a GPU, without building, with explicit threads.
 */
import { getLlama, LlamaChatSession } from "node-llama-cpp";
import type { GenerateEvent, GenerateRequest } from "../../src/serving/index.ts";

export async function directLlama(gguf: string, threads: number) {
  const llama = await getLlama({ gpu: false, build: "never", maxThreads: threads });
  const model = await llama.loadModel({ modelPath: gguf });
  const context = await model.createContext({ threads, contextSize: 2048, sequences: 1 });
  const sequence = context.getSequence();

  async function* generate(req: GenerateRequest): AsyncGenerator<GenerateEvent, void, undefined> {
    const session = new LlamaChatSession({ contextSequence: sequence, autoDisposeSequence: false });
    const queue: string[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    let tokens = 0;
    const last = req.messages.at(-1)?.content ?? "";
    const answered = session
      .prompt(last, {
        maxTokens: req.max_tokens ?? 256,
        temperature: 0,
        onTextChunk: (t) => {
          queue.push(t);
          wake?.();
        },
        onToken: (t) => {
          tokens += t.length;
        },
      })
      .finally(() => {
        done = true;
        wake?.();
      });
    for (;;) {
      const text = queue.shift();
      if (text !== undefined) {
        yield { type: "delta", index: 0, text };
        continue;
      }
      if (done) break;
      await new Promise<void>((r) => {
        wake = r;
      });
      wake = undefined;
    }
    await answered;
    session.dispose({ disposeSequence: false });
    sequence.clearHistory();
    yield {
      type: "result",
      choices: [],
      prompt_tokens: 0,
      completion_tokens: tokens,
    } as unknown as GenerateEvent;
  }

  return {
    generate,
    close: async () => {
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}
