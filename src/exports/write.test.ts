/**
 * writeExport with a fake engine: which engine runs each format asks for, the folder it leaves
 * (weights, card, README, nothing half-written), and the refusals in words. The real engine's
 * exports are tested in export.e2e.test.ts.
 */
import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { TailorError } from "../errors/index.ts";
import { fakeEngine } from "./__fixtures__/fake-engine.ts";
import type { ExportSubject } from "./subject.ts";
import { fileStem, writeExport } from "./write.ts";

const dir = () => mkdtempSync(join(tmpdir(), "tailor-export-write-"));

function tuned(withCard = true): ExportSubject {
  const folder = dir();
  if (withCard) {
    writeFileSync(join(folder, "MODEL_CARD.md"), "# card\n");
    writeFileSync(join(folder, "model-card.json"), "{}\n");
  }
  return {
    name: "ft:tiny:support:abc",
    source: { kind: "hf_dir", path: "/models/tiny" },
    adapterDir: folder,
    base: "tiny",
    baseSource: "/models/tiny",
    cardDir: folder,
    system: null,
  };
}

const base: ExportSubject = {
  name: "tiny",
  source: { kind: "hf_dir", path: "/models/tiny" },
  adapterDir: null,
  base: "tiny",
  baseSource: "/models/tiny",
  cardDir: null,
  system: null,
};

/** ChatML as SmolLM2's tokenizer writes it. */
const CHATML =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const names = (d: string) => readdirSync(d).sort();
const refused = (code: string, message: RegExp) => (e: unknown) =>
  e instanceof TailorError && e.code === code && message.test(e.message);

describe("writeExport", () => {
  test("peft: the adapter folder with the card and a README that loads it with PEFT", async () => {
    const engine = fakeEngine();
    const out = join(dir(), "support-peft");
    const progress: string[] = [];
    const r = await writeExport(tuned(), {
      format: "peft",
      out,
      shownDir: out,
      runner: engine.runner,
      onProgress: (p) => progress.push(`${p.stage} ${p.current}/${p.total}`),
    });
    assert.deepEqual(names(out), [
      "MODEL_CARD.md",
      "README.md",
      "adapter_config.json",
      "adapter_model.safetensors",
      "model-card.json",
    ]);
    assert.equal(engine.requests.length, 1);
    assert.equal(engine.requests[0]?.format, "peft");
    assert.ok(engine.requests[0]?.adapter_dir, "the adapter is handed to the engine");
    assert.deepEqual(progress, ["load 1/2"]);
    assert.equal(r.quantization, null);
    assert.equal(r.files.length, 5);
    assert.equal(
      r.bytes,
      r.files.reduce((n, f) => n + f.bytes, 0),
    );
    const readme = readFileSync(join(out, "README.md"), "utf8");
    assert.match(readme, /PeftModel\.from_pretrained\(base, "\."\)/);
    assert.match(readme, /AutoModelForCausalLM\.from_pretrained\("\/models\/tiny"\)/);
    assert.match(readme, /a fine-tune of tiny/);
    assert.match(readme, /`<\|im_end\|>`/, "the stop token");
    assert.match(readme, /`adapter_model.safetensors` \(7 B\): the adapter's weights/);
    assert.match(r.nextStep, /PeftModel\.from_pretrained/);
    assert.deepEqual(
      readdirSync(join(out, "..")).filter((n) => n.startsWith(".")),
      [],
      "no temporary folder left beside it",
    );
  });

  test("gguf of a fine-tune: the merged model and the adapter alone, both at the quantization", async () => {
    const engine = fakeEngine();
    const out = join(dir(), "gguf");
    const r = await writeExport(tuned(false), {
      format: "gguf",
      quantization: "q8_0",
      out,
      shownDir: out,
      runner: engine.runner,
    });
    assert.deepEqual(
      engine.requests.map((q) => [q.format, q.quantization, q.out.split("/").at(-1)]),
      [
        ["gguf", "q8_0", "ft-tiny-support-abc-q8_0.gguf"],
        ["gguf_adapter", "q8_0", "ft-tiny-support-abc-adapter-q8_0.gguf"],
      ],
    );
    assert.deepEqual(names(out), [
      "README.md",
      "ft-tiny-support-abc-adapter-q8_0.gguf",
      "ft-tiny-support-abc-q8_0.gguf",
    ]);
    assert.equal(r.nextStep, `llama-cli -m ${join(out, "ft-tiny-support-abc-q8_0.gguf")} -cnv`);
    const readme = readFileSync(join(out, "README.md"), "utf8");
    assert.match(readme, /q8_0 \(8-bit blocks/);
    assert.match(readme, /--lora ft-tiny-support-abc-adapter-q8_0\.gguf/);
    assert.match(readme, /not evaluated/, "no card, and the README says why");
  });

  test("gguf q4_0: the adapter at q8_0; an adapter llama.cpp cannot take is left out, saying why", async () => {
    const out = join(dir(), "q4");
    const engine = fakeEngine();
    await writeExport(tuned(false), {
      format: "gguf",
      quantization: "q4_0",
      out,
      runner: engine.runner,
    });
    assert.deepEqual(
      engine.requests.map((q) => [q.format, q.quantization]),
      [
        ["gguf", "q4_0"],
        ["gguf_adapter", "q8_0"],
      ],
    );
    assert.ok(names(out).includes("ft-tiny-support-abc-adapter-q8_0.gguf"));
    assert.match(readFileSync(join(out, "README.md"), "utf8"), /The adapter is written at q8_0/);

    const dora = join(dir(), "dora");
    const refusing = fakeEngine(
      {
        code: "invalid_request",
        message: "the adapter uses DoRA. Export the whole model as gguf instead.",
      },
      undefined,
      "gguf_adapter",
    );
    const r = await writeExport(tuned(false), {
      format: "gguf",
      out: dora,
      runner: refusing.runner,
    });
    assert.deepEqual(names(dora), ["README.md", "ft-tiny-support-abc-f16.gguf"]);
    assert.equal(r.files.length, 2);
    assert.match(
      readFileSync(join(dora, "README.md"), "utf8"),
      /The adapter alone is not included: the adapter uses DoRA/,
    );
  });

  test("gguf of a base model: one file, f16 unless asked, no adapter", async () => {
    const engine = fakeEngine();
    const out = join(dir(), "base");
    const r = await writeExport(base, { format: "gguf", out, runner: engine.runner });
    assert.deepEqual(
      engine.requests.map((q) => [q.format, q.quantization, q.adapter_dir]),
      [["gguf", "f16", undefined]],
    );
    assert.deepEqual(names(out), ["README.md", "tiny-f16.gguf"]);
    assert.equal(r.quantization, "f16");
    assert.equal(r.nextStep, "llama-cli -m tiny-f16.gguf -cnv", "no folder: the files alone");
  });

  test("merged of a base model writes the Hugging Face folder with a README that loads it", async () => {
    const engine = fakeEngine();
    const out = join(dir(), "merged");
    await writeExport(base, { format: "merged", out, runner: engine.runner });
    assert.deepEqual(names(out), [
      "README.md",
      "config.json",
      "model.safetensors",
      "tokenizer.json",
    ]);
    assert.match(readFileSync(join(out, "README.md"), "utf8"), /the base model tiny/);
  });

  test("refused in words: peft of a base, a quantization for peft or merged", async () => {
    const engine = fakeEngine();
    const out = join(dir(), "x");
    await assert.rejects(
      writeExport(base, { format: "peft", out, runner: engine.runner }),
      refused(
        "invalid_argument",
        /'tiny' is a base model: it has no adapter.*merged, gguf or ollama/,
      ),
    );
    await assert.rejects(
      writeExport(tuned(), { format: "merged", quantization: "q4_0", out, runner: engine.runner }),
      refused("invalid_argument", /quantization q4_0 is for gguf and ollama exports/),
    );
    assert.equal(engine.requests.length, 0, "refused before the engine starts");
    assert.equal(existsSync(out), false);
  });

  test("a base the GGUF writer does not know: the engine's reason, and to export peft or merged", async () => {
    const engine = fakeEngine({
      code: "invalid_request",
      message: "the GGUF writer does not know the architecture GPT2LMHeadModel.",
    });
    const parent = dir();
    await assert.rejects(
      writeExport(tuned(), { format: "gguf", out: join(parent, "g"), runner: engine.runner }),
      refused(
        "invalid_argument",
        /does not know the architecture GPT2LMHeadModel\. Export ft:tiny:support:abc as peft or merged instead/,
      ),
    );
    assert.deepEqual(readdirSync(parent), [], "nothing left behind");
  });

  test("a folder with files in it is refused, and replaced only when asked", async () => {
    const out = join(dir(), "taken");
    mkdirSync(out);
    writeFileSync(join(out, "old.txt"), "old");
    await assert.rejects(
      writeExport(base, { format: "gguf", out, runner: fakeEngine().runner }),
      refused(
        "conflict",
        /already has files in it; choose a new folder, or replace it with --force/,
      ),
    );
    await writeExport(base, { format: "gguf", out, replace: true, runner: fakeEngine().runner });
    assert.deepEqual(names(out), ["README.md", "tiny-f16.gguf"]);
    const empty = join(dir(), "empty");
    mkdirSync(empty);
    await writeExport(base, { format: "merged", out: empty, runner: fakeEngine().runner });
    assert.ok(names(empty).includes("config.json"), "an empty folder is fine");
  });

  test("ollama: the GGUF and a Modelfile with the template, the stop token and the training's system prompt", async () => {
    const engine = fakeEngine(undefined, CHATML);
    const out = join(dir(), "ollama");
    const subject = { ...tuned(false), system: "You answer for Northwind Bikes." };
    const r = await writeExport(subject, {
      format: "ollama",
      out,
      shownDir: out,
      runner: engine.runner,
    });
    assert.deepEqual(
      engine.requests.map((q) => q.format),
      ["gguf"],
      "the merged model only: Ollama needs no adapter file",
    );
    assert.deepEqual(names(out), ["Modelfile", "README.md", "ft-tiny-support-abc-f16.gguf"]);
    const modelfile = readFileSync(join(out, "Modelfile"), "utf8");
    assert.match(modelfile, /^FROM \.\/ft-tiny-support-abc-f16\.gguf$/m);
    assert.match(modelfile, /^TEMPLATE """/m);
    assert.match(modelfile, /^PARAMETER stop "<\|im_end\|>"$/m);
    assert.match(modelfile, /^SYSTEM "+You answer for Northwind Bikes\."+$/m);
    assert.equal(r.nextStep, `ollama create ft-tiny-support-abc -f ${join(out, "Modelfile")}`);
    assert.match(
      readFileSync(join(out, "README.md"), "utf8"),
      /ollama create ft-tiny-support-abc -f Modelfile/,
    );
  });

  test("ollama without a chat template is refused with what to do", async () => {
    const out = join(dir(), "o");
    await assert.rejects(
      writeExport(base, { format: "ollama", out, runner: fakeEngine(undefined, null).runner }),
      refused("invalid_argument", /has no chat template.*export it as gguf/),
    );
    assert.equal(existsSync(out), false);
  });

  test("file stems from model ids", () => {
    assert.equal(fileStem("ft:tiny:support:abc"), "ft-tiny-support-abc");
    assert.equal(fileStem("support@v2"), "support-v2");
    assert.equal(fileStem("::"), "model");
  });
});
