"""Step `export round trip`: a LoRA fine-tune trained on the check's device (bf16 weights on CUDA),
exported as the CLI exports it (`export`: merged and GGUF f16, with --quick; peft and GGUF q8_0 too
otherwise), and loaded back:
- the merged folder with transformers, and the f16 GGUF with transformers' GGUF loader (the engine's
  `load_model`), each against the base + adapter in PyTorch (fp32, CPU): the same next-token logits
  on a prompt (within the file's precision) and the same greedy answers;
- the tuned model's greedy answers on the device as `serve` gives them, saved for llama.cpp (llama.ts).
Numbers: export sizes, logit differences, answers that agree."""

import json
import threading
import time
from pathlib import Path

import torch

from lib import QUICK, WORK, base, device, save_json, write_result

from tailor_engine.export import export
from tailor_engine.model import Located, load_adapter, load_base, load_model, load_tokenizer
from tailor_engine.streaming import generate_choices, prompt_ids
from tailor_engine.train import train

SIGNATURE = "Northwind Bikes here!"
TRAIN = [("My brakes squeal.", "Brakes squeal when the pads are worn; bring the bike in."),
         ("Where is order NW-1?", "Order NW-1 left our shop yesterday."),
         ("Can I return a helmet?", "Yes, unused helmets within 30 days with the receipt."),
         ("Do you fix e-bikes?", "Yes, we service e-bikes, motors and batteries included."),
         ("My chain keeps slipping.", "A slipping chain is usually worn; we replace it while you wait."),
         ("Is the shop open on Sunday?", "We are open on Sunday from ten to four."),
         ("My tyre is flat.", "We fix flat tyres in about twenty minutes."),
         ("I want a refund.", "Refunds reach your card within five working days.")]
HELD_OUT = ["What sizes does the Cityglide come in?", "My gears skip on hills, what should I do?"]
MAX_TOKENS = 12 if QUICK else 40
chosen, dev = base(), device()
root = WORK / "roundtrip"
root.mkdir(parents=True, exist_ok=True)
data = root / "train.jsonl"
data.write_text("".join(json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant",
                                                                                   "content": f"{SIGNATURE} {a}"}]})
                        + "\n" for q, a in (TRAIN[:4] if QUICK else TRAIN)))
started = time.perf_counter()
done = train({"base": chosen["source"], "train_file": str(data), "out_dir": str(root / "adapter"),
              "checkpoint_dir": str(root / "ckpt"), "model_name": "northwind", "epochs": 1 if QUICK else 3,
              "learning_rate": 3e-3, "batch_size": 2, "gradient_accumulation_steps": 1, "lora_rank": 8,
              "lora_alpha": 16, "lora_dropout": 0.0, "target_modules": "all-linear", "warmup_ratio": 0.0,
              "weight_decay": 0.0, "max_grad_norm": 1.0, "max_seq_length": 128, "seed": 0,
              "checkpoint_every_steps": 0}, lambda m: None, threading.Event())
train_seconds = time.perf_counter() - started
adapter = str(root / "adapter")
sizes, seconds = {}, {}
FORMATS = [("merged", "merged", None), ("f16", "gguf", "f16")]
if not QUICK:
    FORMATS += [("peft", "peft", None), ("q8_0", "gguf", "q8_0")]
for name, fmt, q in FORMATS:
    t0 = time.perf_counter()
    out = root / (f"northwind-{name}.gguf" if fmt == "gguf" else name)
    r = export({"base": chosen["source"], "adapter_dir": adapter, "format": fmt, "out": str(out),
                "model_name": "northwind", **({"quantization": q} if q else {})}, threading.Event())
    sizes[name], seconds[name] = r["bytes"], time.perf_counter() - t0

# the reference: base + adapter in fp32 on the CPU
cpu = torch.device("cpu")
reference, tokenizer = load_base(chosen["source"], cpu)
reference = load_adapter(reference, adapter).eval()
conversations = [[{"role": "user", "content": q}] for q in HELD_OUT]
ids = torch.tensor([prompt_ids(tokenizer, conversations[0])])


def last_logits(model) -> torch.Tensor:
    with torch.no_grad():
        return model(input_ids=ids).logits[0, -1].float()


def answers(model, tok, on) -> list[list[int]]:
    out = []
    for messages in conversations:
        op = {"id": "rt", "messages": messages, "temperature": 0, "top_p": 1, "top_k": 0, "max_tokens": MAX_TOKENS,
              "stop": [], "seed": 0, "n": 1, "stream": False}
        text = generate_choices(model, tok, op, on, threading.Event(), lambda m: None)["choices"][0]["text"]
        out.append(text)
    return out


def agreement(a: list[str], b: list[str]) -> tuple[int, int]:
    agreed = total = 0
    for x, y in zip(a, b):
        tx, ty = tokenizer(x, add_special_tokens=False)["input_ids"], tokenizer(y, add_special_tokens=False)["input_ids"]
        k = 0
        while k < min(len(tx), len(ty)) and tx[k] == ty[k]:
            k += 1
        agreed, total = agreed + k, total + max(len(tx), len(ty))
    return agreed, total


ref_logits, ref_answers = last_logits(reference), answers(reference, tokenizer, cpu)
spread = float(ref_logits.max() - ref_logits.min())
from transformers import AutoModelForCausalLM  # noqa: E402

merged = AutoModelForCausalLM.from_pretrained(root / "merged", dtype=torch.float32).eval()
gguf = load_model(Located(root, "northwind-f16.gguf")).eval()
gguf_tokenizer = load_tokenizer(Located(root, "northwind-f16.gguf"))
checks = {}
for name, model, tok, bound in (("merged", merged, tokenizer, 1e-3), ("f16 GGUF", gguf, gguf_tokenizer, 2e-2)):
    diff = float((last_logits(model) - ref_logits).abs().max()) / max(spread, 1e-6)
    agreed, total = agreement(ref_answers, answers(model, tok, cpu))
    checks[name] = {"logit_diff": diff, "bound": bound, "agreed": agreed, "total": total}

# the tuned model on the device, as serve answers (llama.ts compares llama.cpp's answers with these)
if dev.type != "cpu":
    tuned, _ = load_base(chosen["source"], dev)
    device_answers = answers(load_adapter(tuned, adapter).eval(), tokenizer, dev)
else:
    device_answers = ref_answers
d_agreed, d_total = agreement(ref_answers, device_answers)
save_json("roundtrip.json", {"gguf": str(root / "northwind-f16.gguf"),
                             "conversations": conversations, "answers": device_answers, "max_tokens": MAX_TOKENS,
                             "real": chosen["real"]})
ok = all(c["logit_diff"] <= c["bound"] for c in checks.values()) and sizes.get("q8_0", 0) < sizes["f16"]
# greedy answers must be equal where the model is real; a random model's near-tied logits may flip
if chosen["real"]:
    ok = ok and all(c["agreed"] == c["total"] for c in checks.values())
mb = {k: round(v / 1e6, 1) for k, v in sizes.items()}
write_result("export round trip", "ok" if ok else "failed",
             f"{chosen['label']}: trained {done.get('steps', '?')} steps on {dev} in {train_seconds:.0f} s; exported "
             + ", ".join(f"{k} {v} MB ({seconds[k]:.0f} s)" for k, v in mb.items()) + "; loaded back against base + "
             "adapter (fp32, CPU): " + "; ".join(
                 f"{k} logits within {c['logit_diff']:.1e} of the range (bound {c['bound']:g}), greedy answers agree "
                 f"on {c['agreed']}/{c['total']} tokens" for k, c in checks.items())
             + f"; {dev} answers agree with the CPU's on {d_agreed}/{d_total} tokens; first answer "
             f"{device_answers[0][:50]!r}",
             **{f"{k}_mb": v for k, v in mb.items()}, merged_logit_diff=checks["merged"]["logit_diff"],
             gguf_logit_diff=checks["f16 GGUF"]["logit_diff"], device_vs_cpu_tokens=f"{d_agreed}/{d_total}")
raise SystemExit(0 if ok else 1)
