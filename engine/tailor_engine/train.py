"""LoRA supervised fine-tuning in torchtune's recipe shape: setup -> train (evaluate, checkpoint) -> save.

Reports through a `Reporter` (JSON lines in production): metrics every optimizer step, an evaluation on
the validation set after every epoch, a checkpoint at every epoch end (and every N steps if asked),
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
from functools import partial
from pathlib import Path

import torch

from . import distributed, fsdp
from .config import TrainConfig
from .chat import has_tools, tool_format
from .data import Encoded, collate, collate_packed, encode_all, pack, read_chat_jsonl
from .device import autocast_dtype, pick_device, set_cpu_threads, train_dtype
from .emit import log
from .errors import EngineError
from .kernels import (compile_mlps, free_loss_buffers, fuse_lora, kept_probs_note, lighter_rms_norms, row_multiple,
                      token_loss, use_liger, use_packed_attention)
from .model import attach_lora, count_parameters, load_adapter, load_base, skip_lora_input_casts
from .report import Emit, JsonLinesReporter, Reporter


def seed_everything(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)


# Tokens per packed row (more when max_seq_length is longer). Measured on SmolLM2-135M, 2-core CPU
# (bench/train-throughput.ts): longer rows are no faster and hold more activations; shorter ones
# mean more passes.
ROW_TOKENS = 2048


def to_device(batch: dict, device: torch.device) -> dict:
    return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}


def model_batches(examples: list[Encoded], packing: bool, row_tokens: int, batch_size: int, pad_id: int,
                  row_multiple: int = 1) -> list[dict]:
    """The forward passes for these examples: packed rows (each a multiple of `row_multiple` tokens
    long, kernels.row_multiple), or padded batches of `batch_size`."""
    if packing:
        return [collate_packed(row, row_multiple, pad_id) for row in pack(examples, row_tokens)]
    return [collate(examples[k:k + batch_size], pad_id) for k in range(0, len(examples), batch_size)]


def batches(examples: list[Encoded], batch_size: int, generator: torch.Generator) -> list[list[Encoded]]:
    order = torch.randperm(len(examples), generator=generator).tolist()
    return [[examples[i] for i in order[k:k + batch_size]] for k in range(0, len(order), batch_size)]


@torch.no_grad()
def evaluate(model, examples: list[Encoded], batch_size: int, pad_id: int, device,
             packing: bool = False, row_tokens: int = ROW_TOKENS, loss=None, row_multiple: int = 1) -> tuple[float, float]:
    """Mean loss and token accuracy over `examples`; under torchrun each rank scores its share and the
    sums are added up. `loss(batch)` is `token_loss` of `model` unless given (a sharded model's)."""
    loss = loss or partial(token_loss, model)
    model.eval()
    total_loss, total_correct, total = 0.0, 0, 0
    if distributed.is_distributed():
        examples = [examples[i] for i in distributed.shard([len(e.input_ids) for e in examples])]
    for batch in model_batches(examples, packing, row_tokens, batch_size, pad_id, row_multiple) if examples else []:
        loss_sum, correct, count = loss(to_device(batch, device))
        total_loss += float(loss_sum)
        total_correct += int(correct)
        total += count
    model.train()
    total_loss, total_correct, total = (distributed.total(v) for v in (total_loss, total_correct, total))
    return total_loss / max(total, 1), total_correct / max(total, 1)


def adamw(params, lr: float, weight_decay: float = 0.0, fused: bool = True) -> torch.optim.AdamW:
    """AdamW over `params` (tensors or parameter groups), with PyTorch's fused update where it has one for
    them: on a CPU 4.6 against 22 ms a step for a LoRA's 420 tensors (SmolLM2-135M at rank 16, all
    linear layers; about 2% of a short step), and about 10x for a classifier's 22M weights
    (bench/README.md). The same update to float rounding; its state_dict is AdamW's either way, so
    checkpoints resume across the two. TAILOR_FUSED_ADAMW=0: the plain one (the benchmark's round 1)."""
    if fused and os.environ.get("TAILOR_FUSED_ADAMW") != "0":
        try:
            return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, fused=True)
        except (RuntimeError, TypeError):  # a device or dtype without the fused kernel
            pass
    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)


def update(recipe, loss: float, tokens: int, t0: float, epoch_now: float, what: str = "loss", **extra) -> None:
    """The end of an optimizer step, once the gradients are in: clip, step the optimizer and the schedule,
    count the step, refuse a diverged loss, and report the step's metrics (`extra` added to them).
    `recipe` has model, optimizer, scheduler, cfg.max_grad_norm, report, step, first/last_loss, started,
    resumed_at and total_steps (LoRARecipe and the classifier's recipe)."""
    grad_norm = float(torch.nn.utils.clip_grad_norm_(recipe.model.parameters(), recipe.cfg.max_grad_norm))
    lr = recipe.scheduler.get_last_lr()[0]
    recipe.optimizer.step()
    recipe.scheduler.step()
    recipe.optimizer.zero_grad(set_to_none=True)
    recipe.step += 1
    recipe.last_loss = loss
    recipe.first_loss = loss if recipe.first_loss is None else recipe.first_loss
    if not math.isfinite(loss):
        raise EngineError("internal", f"training diverged at step {recipe.step} ({what} is {loss}); "
                                      "lower the learning rate")
    elapsed = time.perf_counter() - recipe.started
    recipe.report.metrics(step=recipe.step, total_steps=recipe.total_steps, epoch=epoch_now, train_loss=loss,
                          learning_rate=lr, tokens_per_second=tokens / max(time.perf_counter() - t0, 1e-9),
                          elapsed_seconds=elapsed,
                          eta_seconds=elapsed / (recipe.step - recipe.resumed_at) * (recipe.total_steps - recipe.step),
                          grad_norm=grad_norm, **extra)


class LoRARecipe:
    """One LoRA fine-tuning run: `setup` builds it, `train` runs the loop (evaluating and checkpointing as
    it goes), `save` writes the finished adapter. The run's position lives on the recipe and in every
    checkpoint, so a resumed run goes on exactly where the checkpoint left it."""

    def __init__(self, cfg: TrainConfig, report: Reporter):
        self.cfg, self.report = cfg, report
        self.step, self.first_loss, self.last_loss, self.start_epoch, self.start_batch = 0, None, None, 0, 0
        # the overfitting guard: the best evaluation so far and how many evaluations since it
        self.best = {"val_loss": None, "step": None, "path": None, "bad_evals": 0}
        self.stopped_early = False

    def setup(self) -> None:
        cfg = self.cfg
        seed_everything(cfg.seed)
        self.device = device = pick_device()
        dtype = train_dtype(device)
        set_cpu_threads()
        # bf16 autocast on CPUs that compute bf16 natively (AVX512-BF16, AMX); fp32 elsewhere
        amp = autocast_dtype(device)
        self.autocast = torch.autocast(device.type, dtype=amp) if amp else nullcontext()
        # where autocast is bf16, the frozen base is held in bf16 instead of cast from fp32 at every step,
        # as on GPUs (train_dtype): 0.4-0.9 GB less for SmolLM2-135M and faster steps. LoRA's weights and
        # the optimizer's state stay fp32 (PEFT keeps adapters in fp32); the residual stream is bf16 too.
        # TAILOR_FROZEN_BF16=0 keeps the fp32 base (bench/README.md has the answer-quality comparison)
        frozen_bf16 = amp is not None and os.environ.get("TAILOR_FROZEN_BF16", "1") != "0"
        if frozen_bf16:
            dtype = amp
        # sharded (fsdp.py), the base is loaded on the CPU and each process moves its shards to the device
        self.sharded = fsdp.wanted(cfg)
        model, self.tokenizer = load_base(cfg.base, torch.device("cpu") if self.sharded else device, dtype)
        self.report.progress("prepare", "tokenizing examples")
        self.load_data()
        model.config.use_cache = False
        if use_liger(model, device):
            log("using Liger kernels (RMSNorm, RoPE, SwiGLU, fused linear cross-entropy)")
        if cfg.init_adapter_dir:  # continuing from a fine-tuned model: its adapter, trainable
            self.model = model = load_adapter(model, cfg.init_adapter_dir, trainable=True)
            log(f"continuing from the adapter in {cfg.init_adapter_dir}")
        else:
            self.model = model = attach_lora(model, cfg.lora_rank, cfg.lora_alpha, cfg.lora_dropout,
                                             cfg.target_modules)
        if frozen_bf16:
            skip_lora_input_casts(model)
        if cfg.packing:
            use_packed_attention(model)
            if amp is None and (note := kept_probs_note(device, dtype)):
                log(note)
        # a sharded base keeps its weights where they are; under TAILOR_COMPILE the MLPs compile their layers alone
        if fused := fuse_lora(model, regroup=not self.sharded and os.environ.get("TAILOR_COMPILE") != "1"):
            log(f"fused LoRA in {fused} linear layers (TAILOR_FUSED_LORA=0 to turn off)")
        if device.type == "cpu" and not self.sharded:
            lighter_rms_norms(model)
        if compiled := compile_mlps(model):
            log(f"compiling {compiled} MLP blocks with torch.compile (TAILOR_COMPILE=1); the first steps are slower")
        self.row_tokens = max(ROW_TOKENS, cfg.max_seq_length)
        self.row_multiple = row_multiple(device, amp)
        self.trainable, self.total_params = count_parameters(model)
        self.loss = fsdp.shard(model, device) if self.sharded else partial(token_loss, model)
        self.trainable_params = [p for p in model.parameters() if p.requires_grad]
        # a sharded base's adapters are DTensors, which the fused update is not checked with here
        self.optimizer = adamw(self.trainable_params, cfg.learning_rate, cfg.weight_decay, fused=not self.sharded)
        micro_per_epoch = math.ceil(len(self.train_set) / cfg.batch_size)
        self.total_steps = math.ceil(micro_per_epoch / cfg.gradient_accumulation_steps) * cfg.epochs
        from transformers import get_cosine_schedule_with_warmup

        self.scheduler = get_cosine_schedule_with_warmup(self.optimizer, math.ceil(cfg.warmup_ratio * self.total_steps),
                                                         self.total_steps)
        self.pad_id = self.tokenizer.pad_token_id
        self.data_rng = torch.Generator().manual_seed(cfg.seed)
        log(f"training {self.trainable:,} of {self.total_params:,} parameters on {device.type}: "
            f"{len(self.train_set)} examples, {cfg.epochs} epochs, {self.total_steps} steps"
            + (f", on {distributed.world_size()} processes" if distributed.is_distributed() else ""))
        if cfg.resume_from:
            self.resume(cfg.resume_from)

    def load_data(self) -> None:
        """`train_set` and `val_set` (what `batches` and `evaluate` take), and the functions offered."""
        cfg = self.cfg
        train_examples = read_chat_jsonl(cfg.train_file)
        self.note_tools(train_examples)
        self.train_set = encode_all(self.tokenizer, train_examples, cfg.max_seq_length)
        self.val_set = (encode_all(self.tokenizer, read_chat_jsonl(cfg.val_file), cfg.max_seq_length)
                        if cfg.val_file else [])
        truncated = sum(e.truncated for e in self.train_set)
        if truncated:
            log(f"{truncated} training examples were longer than {cfg.max_seq_length} tokens and were cut")

    def note_tools(self, train_examples: list[dict]) -> None:
        """How functions were shown to the model, for its manifest (an export must show them the same
        way), and the first definition of each function, in order of appearance."""
        self.tool_format = (tool_format(self.tokenizer).as_dict()
                            if any(has_tools(e["messages"], e["tools"]) for e in train_examples) else None)
        self.tools: dict[str, dict] = {}
        for e in train_examples:
            for t in e["tools"] or []:
                self.tools.setdefault(t["function"]["name"], t)

    def resume(self, checkpoint: str) -> None:
        """Restores a checkpoint written by `checkpoint` into the freshly set-up objects."""
        from peft import set_peft_model_state_dict
        from safetensors.torch import load_file

        folder = Path(checkpoint)
        if not (folder / "trainer_state.pt").is_file() or not (folder / "adapter_model.safetensors").is_file():
            raise EngineError("invalid_request", f"{folder} is not a complete Tailor checkpoint")
        set_peft_model_state_dict(self.model, load_file(str(folder / "adapter_model.safetensors")))
        state = torch.load(folder / "trainer_state.pt", weights_only=False)
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["torch_rng"])
        random.setstate(state["python_rng"])
        self.data_rng.set_state(state["epoch_rng"])
        self.step, self.first_loss = state["step"], state["first_loss"]
        self.start_epoch, self.start_batch = state["epoch"], state["next_batch"]
        self.best, self.last_loss = state.get("best", self.best), state.get("last_loss")
        if self.best.get("path"):  # the best checkpoint lies beside this one, wherever the home was moved
            self.best = {**self.best, "path": str(Path(self.cfg.checkpoint_dir) / Path(self.best["path"]).name)}
        log(f"resuming from {checkpoint}: step {self.step}, epoch {self.start_epoch}, batch {self.start_batch}")

    def train(self, stop: threading.Event) -> None:
        """Optimizer steps to the end, evaluating and checkpointing on schedule; a set `stop` keeps a
        checkpoint and ends the run as cancelled, the overfitting guard ends it early."""
        cfg, accumulate = self.cfg, self.cfg.gradient_accumulation_steps
        self.model.train()
        self.started, self.resumed_at = time.perf_counter(), self.step
        for epoch in range(self.start_epoch, cfg.epochs):
            epoch_rng = self.data_rng.get_state()
            epoch_batches = batches(self.train_set, cfg.batch_size, self.data_rng)
            n = len(epoch_batches)
            for k in range(self.start_batch if epoch == self.start_epoch else 0, n, accumulate):
                if distributed.any_rank(stop.is_set()):  # rank 0 hears the stop; every rank ends here
                    self.checkpoint(self.position(epoch, k, epoch_rng), epoch + k / n)
                    raise EngineError("cancelled", f"training stopped at step {self.step} of {self.total_steps}; "
                                                   f"checkpoint kept in {cfg.checkpoint_dir}")
                done_after = min(k + accumulate, n)
                epoch_now = epoch + min(1.0, done_after / n)
                self.optimizer_step(epoch_batches[k:k + accumulate], epoch_now)
                epoch_end = done_after >= n
                position = (self.position(epoch + 1, 0, self.data_rng.get_state()) if epoch_end
                            else self.position(epoch, done_after, epoch_rng))
                val_loss = None
                if self.val_set and (epoch_end or (cfg.eval_every_steps and self.step % cfg.eval_every_steps == 0)):
                    val_loss = self.evaluate(epoch_now)
                if epoch_end or val_loss is not None or (cfg.checkpoint_every_steps
                                                         and self.step % cfg.checkpoint_every_steps == 0):
                    self.checkpoint(position, epoch_now, val_loss)
                bad_evals, patience = self.best["bad_evals"], cfg.early_stopping_patience
                if patience and bad_evals >= patience and self.step < self.total_steps:
                    log(f"validation loss has not improved for {bad_evals} evaluations; stopping at step {self.step}")
                    self.stopped_early = True
                    return

    def position(self, epoch: int, next_batch: int, epoch_rng: torch.Tensor) -> dict:
        """Where training goes on from: the epoch, the next batch in it, the data-order RNG state at the
        start of that epoch, and the first loss seen."""
        return {"epoch": epoch, "next_batch": next_batch, "epoch_rng": epoch_rng, "first_loss": self.first_loss}

    def optimizer_step(self, step_batches: list[list[Encoded]], epoch_now: float) -> None:
        """One optimizer step over these batches; packed, their examples fill rows across its micro-batches."""
        cfg = self.cfg
        t0 = time.perf_counter()
        step_examples = [e for b in step_batches for e in b]
        # the whole step's counts; under torchrun this rank trains on its share of the examples
        n_trained = sum(e.target_count for e in step_examples)
        n_tokens = sum(len(e.input_ids) for e in step_examples)
        if distributed.is_distributed():
            step_examples = [step_examples[i] for i in distributed.shard([len(e.input_ids) for e in step_examples])]
        group = (model_batches(step_examples, cfg.packing, self.row_tokens, cfg.batch_size, self.pad_id,
                               self.row_multiple) if step_examples else [])
        loss_total = 0.0
        for g in group:
            with self.autocast:
                loss_sum, _, _ = self.loss(to_device(g, self.device))
            (loss_sum / n_trained).backward()  # token-weighted mean over the whole step (all ranks)
            loss_total += loss_sum.item()
        distributed.sum_gradients(self.trainable_params)
        update(self, distributed.total(loss_total) / max(n_trained, 1), n_tokens, t0, epoch_now)

    def evaluate(self, epoch_now: float) -> float:
        """Loss and token accuracy on the validation set, reported; the overfitting guard takes note."""
        cfg = self.cfg
        with self.autocast:
            val_loss, val_acc = evaluate(self.model, self.val_set, cfg.batch_size, self.pad_id, self.device,
                                         cfg.packing, self.row_tokens, self.loss, self.row_multiple)
        self.report.evaluation(step=self.step, epoch=epoch_now, val_loss=val_loss, val_token_accuracy=val_acc)
        self.track_best(val_loss)
        return val_loss

    def track_best(self, val_loss: float) -> None:
        """The overfitting guard's note of an evaluation: a new best, or one more without."""
        cfg = self.cfg
        if self.best["val_loss"] is None or val_loss < self.best["val_loss"]:
            self.best = {"val_loss": val_loss, "step": self.step,
                         "path": str(Path(cfg.checkpoint_dir) / f"step-{self.step:06d}"), "bad_evals": 0}
        else:
            self.best = {**self.best, "bad_evals": self.best["bad_evals"] + 1}

    def checkpoint(self, position: dict, epoch_now: float, val_loss: float | None = None) -> None:
        """Adapter plus everything needed to continue: optimizer, scheduler, RNG, `position`, the guard's
        state. The latest `keep_checkpoints` are kept, and the best so far as well."""
        cfg, step = self.cfg, self.step
        if distributed.rank() != 0:  # under torchrun rank 0 writes; the state is the same on every rank
            return
        keep = Path(self.best["path"]) if self.best["path"] else None
        root = Path(cfg.checkpoint_dir)
        target = root / f"step-{step:06d}"
        tmp = root / f".tmp-step-{step:06d}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        self.model.save_pretrained(tmp)
        torch.save({"optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(), "step": step,
                    **position, "best": self.best, "last_loss": self.last_loss, "torch_rng": torch.get_rng_state(),
                    "python_rng": random.getstate()}, tmp / "trainer_state.pt")
        (tmp / "tailor_config.json").write_text(json.dumps(cfg.to_dict(), indent=2))
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
        for old in sorted(root.glob("step-*"))[:-cfg.keep_checkpoints]:
            if keep is None or old.resolve() != keep.resolve():
                shutil.rmtree(old, ignore_errors=True)
        self.report.checkpoint(step=step, epoch=epoch_now, path=str(target), train_loss=self.last_loss,
                               val_loss=val_loss)

    def save(self) -> dict:
        """The model (the best checkpoint's adapter when the overfitting guard is on), its tokenizer and a
        summary in `out_dir`; returns the `completed` message."""
        cfg, step, best = self.cfg, self.step, self.best
        train_seconds = time.perf_counter() - self.started
        out = Path(cfg.out_dir)
        model_step = step
        if cfg.early_stopping_patience and best["path"] and best["step"] != step:
            model_step = best["step"]
        if distributed.rank() == 0:  # under torchrun rank 0 writes the model
            self.write_model(out, model_step)
        sizes = {"trainable_parameters": self.trainable, "total_parameters": self.total_params}
        summary = {"config": cfg.to_dict(), "steps": step, "model_step": model_step,
                   "stopped_early": self.stopped_early, "best_val_loss": best["val_loss"],
                   "first_train_loss": self.first_loss, "final_train_loss": self.last_loss,
                   "train_seconds": train_seconds, "train_examples": len(self.train_set),
                   "val_examples": len(self.val_set), "tool_format": self.tool_format, **sizes}
        if distributed.rank() == 0:
            (out / "tailor_train.json").write_text(json.dumps(summary, indent=2))
        done = {"type": "completed", "model": cfg.model_name, "path": str(out), "steps": step,
                "first_train_loss": float(self.first_loss), "final_train_loss": float(self.last_loss),
                "train_seconds": train_seconds, **sizes, "stopped_early": self.stopped_early, "model_step": model_step}
        if best["val_loss"] is not None:
            done["best_val_loss"] = float(best["val_loss"])
        if self.tool_format:
            done["tool_format"] = self.tool_format
        if self.tools:
            done["tools"] = list(self.tools.values())
        return done


    def write_model(self, out: Path, model_step: int) -> None:
        """The adapter (the best checkpoint's, when that step is not the last) and the tokenizer."""
        out.mkdir(parents=True, exist_ok=True)
        if model_step != self.step:
            for name in ("adapter_model.safetensors", "adapter_config.json"):
                shutil.copyfile(Path(self.best["path"]) / name, out / name)
        else:
            self.model.save_pretrained(out)
        self.tokenizer.save_pretrained(out)


def train(request: dict, emit: Emit, stop: threading.Event) -> dict:
    cfg = TrainConfig.from_request(request)
    if cfg.method == "dpo":
        from .dpo import DPORecipe

        recipe = DPORecipe(cfg, JsonLinesReporter(emit))
    else:
        recipe = LoRARecipe(cfg, JsonLinesReporter(emit))
    try:
        recipe.setup()
        recipe.train(stop)
        return recipe.save()
    finally:
        free_loss_buffers()
