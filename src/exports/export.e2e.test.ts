/**
 * `tailor export` end to end through bin/tailor and the real engine: the tiny model fine-tuned on
 * support examples that all start with the same system prompt, exported as PEFT (the folder PEFT
 * loads, loaded here with PeftModel.from_pretrained in the engine's Python), as GGUF q8_0 (the
 * model and the adapter alone, both GGUF files), and for Ollama (a Modelfile with FROM, TEMPLATE,
 * PARAMETER stop and the training's SYSTEM); refusals say what was wrong and what to do. The GGUF
 * answers themselves are compared with PyTorch's in gguf.e2e.test.ts.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { cliSandbox, TOPICS } from "../cli/__fixtures__/cli.ts";
import { enginePython } from "../engine/index.ts";

const { home, tailor, file, tiny, trainTiny } = cliSandbox("tailor-export-e2e-", {
  HF_HUB_OFFLINE: "1",
});
const SYSTEM = "You answer for Northwind Bikes. Be short.";
const ANSWER = "Thanks for writing to Northwind Bikes! We will reply within one business day.";

interface Exported {
  model: string;
  format: string;
  quantization: string | null;
  dir: string;
  files: { name: string; bytes: number }[];
  bytes: number;
  architecture: string;
  stop_tokens: string[];
  system_prompt: string | null;
  next_step: string;
  seconds: number;
}

/** `tailor export ... --json`, checked to succeed; its result. */
function exportJson(...args: string[]): Exported {
  const r = tailor("export", ...args, "--json");
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const out = JSON.parse(r.stdout) as Exported;
  console.log(
    `# ${out.format}${out.quantization ? ` ${out.quantization}` : ""}: ${out.seconds} s, ${out.bytes} bytes, ${out.files.map((f) => `${f.name} ${f.bytes}`).join(", ")}`,
  );
  return out;
}

const names = (x: Exported) => x.files.map((f) => f.name);

before(() => {
  tiny();
  const lines = TOPICS.map((t) =>
    JSON.stringify({
      messages: [
        { role: "system", content: SYSTEM },
        { role: "user", content: `${t}?` },
        { role: "assistant", content: ANSWER },
      ],
    }),
  );
  trainTiny("support", file("support.jsonl", `${lines.join("\n")}\n`));
});

describe("tailor export", () => {
  test("peft: the adapter folder with the card and a README; PEFT loads it onto the base", () => {
    const out = join(home, "support-peft");
    const x = exportJson("support", "--format", "peft", "--out", out);
    for (const f of ["adapter_config.json", "adapter_model.safetensors", "README.md"])
      assert.ok(names(x).includes(f), `${f} in ${names(x).join(", ")}`);
    assert.ok(names(x).includes("MODEL_CARD.md"), "the model card travels with it");
    assert.equal(x.quantization, null);
    assert.equal(x.system_prompt, SYSTEM);
    assert.match(readFileSync(join(out, "README.md"), "utf8"), /PeftModel\.from_pretrained/);
    const tinyDir = join(home, "models", "tiny");
    const loaded = spawnSync(
      enginePython(),
      [
        "-c",
        [
          "import sys",
          "from peft import PeftModel",
          "from transformers import AutoModelForCausalLM",
          "base = AutoModelForCausalLM.from_pretrained(sys.argv[1])",
          "model = PeftModel.from_pretrained(base, sys.argv[2])",
          "lora = [n for n, _ in model.named_modules() if n.endswith('lora_A.default')]",
          "print(len(lora))",
        ].join("\n"),
        tinyDir,
        out,
      ],
      { encoding: "utf8", env: { ...process.env, HF_HUB_OFFLINE: "1" } },
    );
    assert.equal(loaded.status, 0, loaded.stderr);
    assert.ok(Number(loaded.stdout.trim()) > 0, `LoRA modules attached: ${loaded.stdout}`);
  });

  test("gguf q8_0: the merged model and the adapter alone, both GGUF files", () => {
    const out = join(home, "support-gguf");
    const x = exportJson("support", "--format", "gguf", "--quantization", "q8_0", "--out", out);
    assert.deepEqual(names(x), [
      "MODEL_CARD.md",
      "README.md",
      "model-card.json",
      "support-adapter-q8_0.gguf",
      "support-q8_0.gguf",
    ]);
    for (const f of ["support-q8_0.gguf", "support-adapter-q8_0.gguf"])
      assert.equal(readFileSync(join(out, f)).subarray(0, 4).toString("latin1"), "GGUF", f);
    assert.equal(x.architecture, "LlamaForCausalLM");
    assert.deepEqual(x.stop_tokens, ["<|im_end|>"]);
    assert.equal(x.next_step, `llama-cli -m ${join(out, "support-q8_0.gguf")} -cnv`);
    const readme = readFileSync(join(out, "README.md"), "utf8");
    assert.match(readme, /q8_0 \(8-bit blocks/);
    assert.match(readme, /`<\|im_end\|>`/);
  });

  test("ollama: the GGUF and a Modelfile with the template, the stop token and the training's system prompt", () => {
    const out = join(home, "support-ollama");
    const r = tailor("export", "support", "--format", "ollama", "--out", out);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Next: ollama create support -f ${join(out, "Modelfile")}`));
    const modelfile = readFileSync(join(out, "Modelfile"), "utf8");
    assert.match(modelfile, /^FROM \.\/support-f16\.gguf$/m);
    assert.match(modelfile, /^TEMPLATE """[\s\S]*<\|im_start\|>[\s\S]*"""$/m);
    assert.match(modelfile, /^PARAMETER stop "<\|im_end\|>"$/m);
    assert.match(modelfile, new RegExp(`^SYSTEM "+${SYSTEM.replaceAll(".", "\\.")}"+$`, "m"));
    assert.equal(readFileSync(join(out, "support-f16.gguf")).subarray(0, 4).toString(), "GGUF");
  });

  test("refusals say what was wrong and what to do, before the engine starts", () => {
    const taken = join(home, "taken");
    mkdirSync(taken);
    writeFileSync(join(taken, "notes.txt"), "mine");
    const cases: [string[], number, RegExp][] = [
      [
        ["tiny", "--format", "peft"],
        2,
        /'tiny' is a base model: it has no adapter.*merged, gguf or ollama/,
      ],
      [
        ["support", "--format", "merged", "--quantization", "q4_0"],
        2,
        /quantization q4_0 is for gguf and ollama/,
      ],
      [["nope", "--format", "gguf"], 5, /unknown model 'nope'/],
      [["support", "--format", "zip"], 2, /Allowed choices are peft, merged, gguf, ollama/],
    ];
    for (const [args, code, message] of cases) {
      const r = tailor("export", ...args, "--out", join(home, "never"));
      assert.equal(r.code, code, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    const r = tailor("export", "support", "--format", "gguf", "--out", taken);
    assert.equal(r.code, 12, r.stderr);
    assert.match(
      r.stderr,
      /already has files in it; choose a new folder, or replace it with --force/,
    );
    assert.equal(readFileSync(join(taken, "notes.txt"), "utf8"), "mine", "left as it was");
  });
});
