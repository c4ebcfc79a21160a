"""LoRA supervised fine-tuning, torchtune's recipe shape: setup -> train -> save -> cleanup.

Reports through `emit` (JSON lines in production): metrics every optimizer step, an evaluation on the
validation set after every epoch, a checkpoint at every epoch end (and every N steps if asked),
then `completed`. A set `stop` event ends the run at the next step boundary, keeping a checkpoint.
"""

import json
import math
import os
import random
import shutil
import threading
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Callable

import torch

from .config import TrainConfig
from .data import Encoded, collate, collate_packed, encode_all, pack, read_chat_jsonl
from .device import autocast_dtype, pick_device, set_cpu_threads, train_dtype
from .emit import log
from .errors import EngineError
from .kernels import compile_mlps, linear_cross_entropy, use_liger, use_packed_attention
from .model import attach_lora, count_parameters, load_base

Emit = Callable[[dict], None]


def seed_everything(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)


# Tokens per packed row (more when max_seq_length is longer). Measured on SmolLM2-135M, 2-core CPU
# (bench/train-throughput.ts): longer rows are no faster and hold more activations; shorter ones
# mean more passes.
ROW_TOKENS = 2048
# Outputs other than `hidden @ lm_head.T`: models with these get full logits from their own forward.
_LOGIT_TRANSFORMS = ("final_logit_softcapping", "logit_scale", "logits_scaling", "output_multiplier_scale")
_NOT_MODEL_INPUTS = ("labels", "target_index", "targets")


def _head_is_plain(base) -> bool:
    head = base.get_output_embeddings()
    return (head is not None and getattr(head, "bias", None) is None
            and all(getattr(base.config, a, None) in (None, 1, 1.0) for a in _LOGIT_TRANSFORMS))


def token_loss(model, batch: dict) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Summed cross-entropy over the trained tokens, the number of correct predictions, and the count.

    Output-layer logits are computed only at the trained positions (`target_index` into the flattened
    rows), never for the whole vocabulary at every position."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    inputs = {k: v for k, v in batch.items() if k not in _NOT_MODEL_INPUTS}
    index, targets = batch["target_index"], batch["targets"]
    if _head_is_plain(base):
        hidden = base.get_decoder()(**inputs, use_cache=False).last_hidden_state
        hidden = hidden.reshape(-1, hidden.shape[-1]).index_select(0, index)
        loss_sum, correct = linear_cross_entropy(hidden, base.get_output_embeddings().weight, targets)
    else:
        logits = model(**inputs, use_cache=False).logits
        logits = logits.reshape(-1, logits.shape[-1]).index_select(0, index).float()
        loss_sum = torch.nn.functional.cross_entropy(logits, targets, reduction="sum")
        correct = (logits.argmax(-1) == targets).sum()
    return loss_sum, correct, int(targets.numel())


def to_device(batch: dict, device: torch.device) -> dict:
    return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}


def model_batches(examples: list[Encoded], packing: bool, row_tokens: int, batch_size: int, pad_id: int) -> list[dict]:
    """The forward passes for these examples: packed rows, or padded batches of `batch_size`."""
    if packing:
        return [collate_packed(row) for row in pack(examples, row_tokens)]
    return [collate(examples[k:k + batch_size], pad_id) for k in range(0, len(examples), batch_size)]


def batches(examples: list[Encoded], batch_size: int, generator: torch.Generator) -> list[list[Encoded]]:
    order = torch.randperm(len(examples), generator=generator).tolist()
    return [[examples[i] for i in order[k:k + batch_size]] for k in range(0, len(order), batch_size)]


@torch.no_grad()
def evaluate(model, examples: list[Encoded], batch_size: int, pad_id: int, device,
             packing: bool = False, row_tokens: int = ROW_TOKENS) -> tuple[float, float]:
    model.eval()
    total_loss, total_correct, total = 0.0, 0, 0
    for batch in model_batches(examples, packing, row_tokens, batch_size, pad_id):
        loss_sum, correct, count = token_loss(model, to_device(batch, device))
        total_loss += float(loss_sum)
        total_correct += int(correct)
        total += count
    model.train()
    return total_loss / max(total, 1), total_correct / max(total, 1)


def save_checkpoint(model, optimizer, scheduler, cfg: TrainConfig, step: int, position: dict,
                    keep: Path | None = None) -> Path:
    """Adapter plus everything needed to continue: optimizer, scheduler, RNG, position in the data.

    `position` is where training goes on from: the epoch, the next batch in it, the data-order RNG
    state at the start of that epoch, the first loss seen and the overfitting guard's state. The
    latest `keep_checkpoints` are kept, and `keep` (the best so far) as well.
    """
    root = Path(cfg.checkpoint_dir)
    target = root / f"step-{step:06d}"
    tmp = root / f".tmp-step-{step:06d}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    model.save_pretrained(tmp)
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "step": step,
                **position, "torch_rng": torch.get_rng_state(), "python_rng": random.getstate()},
               tmp / "trainer_state.pt")
    (tmp / "tailor_config.json").write_text(json.dumps(cfg.to_dict(), indent=2))
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)
    for old in sorted(root.glob("step-*"))[:-cfg.keep_checkpoints]:
        if keep is None or old.resolve() != keep.resolve():
            shutil.rmtree(old, ignore_errors=True)
    return target


def resume(model, optimizer, scheduler, data_rng: torch.Generator, checkpoint: str) -> dict:
    """Restores a checkpoint written by save_checkpoint into freshly set-up objects."""
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    folder = Path(checkpoint)
    if not (folder / "trainer_state.pt").is_file() or not (folder / "adapter_model.safetensors").is_file():
        raise EngineError("invalid_request", f"{folder} is not a complete Tailor checkpoint")
    set_peft_model_state_dict(model, load_file(str(folder / "adapter_model.safetensors")))
    state = torch.load(folder / "trainer_state.pt", weights_only=False)
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["torch_rng"])
    random.setstate(state["python_rng"])
    data_rng.set_state(state["epoch_rng"])
    return state


def train(request: dict, emit: Emit, stop: threading.Event) -> dict:
    cfg = TrainConfig.from_request(request)
    seed_everything(cfg.seed)
    device = pick_device()
    dtype = train_dtype(device)
    set_cpu_threads()
    # bf16 autocast on CPUs that compute bf16 natively (AVX512-BF16, AMX); fp32 elsewhere
    amp = autocast_dtype(device)
    autocast = torch.autocast(device.type, dtype=amp) if amp else nullcontext()

    # -- setup
    model, tokenizer = load_base(cfg.base, device, dtype)
    emit({"type": "progress", "stage": "prepare", "message": "tokenizing examples"})
    train_set = encode_all(tokenizer, read_chat_jsonl(cfg.train_file), cfg.max_seq_length)
    val_set = encode_all(tokenizer, read_chat_jsonl(cfg.val_file), cfg.max_seq_length) if cfg.val_file else []
    truncated = sum(e.truncated for e in train_set)
    if truncated:
        log(f"{truncated} training examples were longer than {cfg.max_seq_length} tokens and were cut")
    model.config.use_cache = False
    if use_liger(model, device):
        log("using Liger kernels (RMSNorm, RoPE, SwiGLU, fused linear cross-entropy)")
    model = attach_lora(model, cfg.lora_rank, cfg.lora_alpha, cfg.lora_dropout, cfg.target_modules)
    if cfg.packing:
        use_packed_attention(model)
    if compiled := compile_mlps(model):
        log(f"compiling {compiled} MLP blocks with torch.compile (TAILOR_COMPILE=1); the first steps are slower")
    row_tokens = max(ROW_TOKENS, cfg.max_seq_length)
    trainable, total_params = count_parameters(model)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                                  lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    micro_per_epoch = math.ceil(len(train_set) / cfg.batch_size)
    steps_per_epoch = math.ceil(micro_per_epoch / cfg.gradient_accumulation_steps)
    total_steps = steps_per_epoch * cfg.epochs
    from transformers import get_cosine_schedule_with_warmup

    scheduler = get_cosine_schedule_with_warmup(optimizer, math.ceil(cfg.warmup_ratio * total_steps), total_steps)
    pad_id = tokenizer.pad_token_id
    data_rng = torch.Generator().manual_seed(cfg.seed)
    log(f"training {trainable:,} of {total_params:,} parameters on {device.type}: {len(train_set)} examples, "
        f"{cfg.epochs} epochs, {total_steps} steps")

    step, first_loss, last_loss, start_epoch, start_batch = 0, None, None, 0, 0
    # the overfitting guard: the best evaluation so far and how many evaluations since it
    best = {"val_loss": None, "step": None, "path": None, "bad_evals": 0}
    if cfg.resume_from:
        state = resume(model, optimizer, scheduler, data_rng, cfg.resume_from)
        step, first_loss = state["step"], state["first_loss"]
        start_epoch, start_batch = state["epoch"], state["next_batch"]
        best, last_loss = state.get("best", best), state.get("last_loss")
        log(f"resuming from {cfg.resume_from}: step {step}, epoch {start_epoch}, batch {start_batch}")

    def checkpoint(position: dict, epoch_now: float, val_loss: float | None = None) -> None:
        keep = Path(best["path"]) if best["path"] else None
        path = save_checkpoint(model, optimizer, scheduler, cfg, step,
                               {**position, "best": best, "last_loss": last_loss}, keep)
        message = {"type": "checkpoint", "step": step, "epoch": epoch_now, "path": str(path)}
        if last_loss is not None:
            message["train_loss"] = last_loss
        if val_loss is not None:
            message["val_loss"] = val_loss
        emit(message)

    # -- train
    model.train()
    started = time.perf_counter()
    resumed_at = step
    stopped_early = False
    for epoch in range(start_epoch, cfg.epochs):
        epoch_rng = data_rng.get_state()
        epoch_batches = batches(train_set, cfg.batch_size, data_rng)
        first = start_batch if epoch == start_epoch else 0
        for k in range(first, len(epoch_batches), cfg.gradient_accumulation_steps):
            if stop.is_set():
                checkpoint({"epoch": epoch, "next_batch": k, "epoch_rng": epoch_rng, "first_loss": first_loss},
                           epoch + k / len(epoch_batches))
                raise EngineError("cancelled", f"training stopped at step {step} of {total_steps}; "
                                               f"checkpoint kept in {cfg.checkpoint_dir}")
            t0 = time.perf_counter()
            # one optimizer step's examples; packed, they fill rows across its micro-batches
            step_examples = [e for b in epoch_batches[k:k + cfg.gradient_accumulation_steps] for e in b]
            group = model_batches(step_examples, cfg.packing, row_tokens, cfg.batch_size, pad_id)
            n_trained = sum(len(g["targets"]) for g in group)
            n_tokens = sum(len(e.input_ids) for e in step_examples)
            loss_total = 0.0
            for g in group:
                with autocast:
                    loss_sum, _, _ = token_loss(model, to_device(g, device))
                (loss_sum / n_trained).backward()  # token-weighted mean over the whole group
                loss_total += loss_sum.item()
            grad_norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.max_grad_norm))
            lr = scheduler.get_last_lr()[0]
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            last_loss = loss_total / max(n_trained, 1)
            first_loss = last_loss if first_loss is None else first_loss
            elapsed = time.perf_counter() - started
            done_after = min(k + cfg.gradient_accumulation_steps, len(epoch_batches))
            epoch_now = epoch + min(1.0, done_after / len(epoch_batches))
            metrics = {"type": "metrics", "step": step, "total_steps": total_steps, "epoch": epoch_now,
                       "train_loss": last_loss, "learning_rate": lr,
                       "tokens_per_second": n_tokens / max(time.perf_counter() - t0, 1e-9),
                       "elapsed_seconds": elapsed,
                       "eta_seconds": elapsed / (step - resumed_at) * (total_steps - step)}
            if math.isfinite(grad_norm):
                metrics["grad_norm"] = grad_norm
            if not math.isfinite(last_loss):
                raise EngineError("internal", f"training diverged at step {step} (loss is {last_loss}); lower the learning rate")
            emit(metrics)

            epoch_end = done_after >= len(epoch_batches)
            position = ({"epoch": epoch + 1, "next_batch": 0, "epoch_rng": data_rng.get_state(), "first_loss": first_loss}
                        if epoch_end else
                        {"epoch": epoch, "next_batch": done_after, "epoch_rng": epoch_rng, "first_loss": first_loss})
            val_loss = None
            if val_set and (epoch_end or (cfg.eval_every_steps and step % cfg.eval_every_steps == 0)):
                with autocast:
                    val_loss, val_acc = evaluate(model, val_set, cfg.batch_size, pad_id, device, cfg.packing, row_tokens)
                emit({"type": "evaluation", "step": step, "epoch": epoch_now, "val_loss": val_loss,
                      "val_token_accuracy": val_acc})
                if best["val_loss"] is None or val_loss < best["val_loss"]:
                    best = {"val_loss": val_loss, "step": step,
                            "path": str(Path(cfg.checkpoint_dir) / f"step-{step:06d}"), "bad_evals": 0}
                else:
                    best = {**best, "bad_evals": best["bad_evals"] + 1}
            if epoch_end or val_loss is not None or (cfg.checkpoint_every_steps and step % cfg.checkpoint_every_steps == 0):
                checkpoint(position, epoch_now, val_loss)
            if cfg.early_stopping_patience and best["bad_evals"] >= cfg.early_stopping_patience and step < total_steps:
                log(f"validation loss has not improved for {best['bad_evals']} evaluations; stopping at step {step}")
                stopped_early = True
                break
        if stopped_early:
            break

    # -- save
    train_seconds = time.perf_counter() - started
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model_step = step
    if cfg.early_stopping_patience and best["path"] and best["step"] != step:
        # the guard is on: the model is the checkpoint with the lowest validation loss
        for name in ("adapter_model.safetensors", "adapter_config.json"):
            shutil.copyfile(Path(best["path"]) / name, out / name)
        model_step = best["step"]
    else:
        model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    summary = {"config": cfg.to_dict(), "steps": step, "model_step": model_step, "stopped_early": stopped_early,
               "best_val_loss": best["val_loss"], "first_train_loss": first_loss, "final_train_loss": last_loss,
               "train_seconds": train_seconds, "train_examples": len(train_set), "val_examples": len(val_set),
               "trainable_parameters": trainable, "total_parameters": total_params}
    (out / "tailor_train.json").write_text(json.dumps(summary, indent=2))
    done = {"type": "completed", "model": cfg.model_name, "path": str(out), "steps": step,
            "first_train_loss": float(first_loss), "final_train_loss": float(last_loss),
            "train_seconds": train_seconds, "trainable_parameters": trainable, "total_parameters": total_params,
            "stopped_early": stopped_early, "model_step": model_step}
    if best["val_loss"] is not None:
        done["best_val_loss"] = float(best["val_loss"])
    return done
