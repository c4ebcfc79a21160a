"""Contenders (b) and (c): `transformers.Trainer` + `peft`, as a careful user writes it, on the same
model (the engine's loader and LoRA setup), examples, order, optimizer and schedule.
Usage: trainer.py SETTINGS_JSON padding|flatten. padding: DataCollatorForSeq2Seq pads each batch;
flatten: DataCollatorWithFlattening, padding-free rows with restarting position ids (SDPA)."""

import sys
import tempfile

import torch
from common import BASE, StepClock, encoded, engine_order, report, settings, step_flops, step_tokens, use_bf16
from torch.utils.data import Sampler
from transformers import (DataCollatorForSeq2Seq, DataCollatorWithFlattening, Trainer, TrainerCallback,
                          TrainingArguments)

from tailor_engine.model import attach_lora, load_base
from tailor_engine.train import seed_everything

s = settings()
collator_name = sys.argv[2]
seed_everything(s["seed"])  # as the engine does, so that LoRA starts from the same random weights
model, tokenizer = load_base(BASE, torch.device("cpu"), torch.float32)
model.config.use_cache = False
model = attach_lora(model, s["lora_rank"], s["lora_alpha"], s["lora_dropout"], "all-linear")
examples = encoded(tokenizer, s)
dataset = [{"input_ids": e.input_ids, "labels": e.labels} for e in examples]
clock = StepClock()


class EngineOrder(Sampler):
    def __len__(self) -> int:
        return len(dataset)

    def __iter__(self):
        return iter(engine_order(len(dataset), s["seed"]))


class SameOrderTrainer(Trainer):
    def _get_train_sampler(self, train_dataset=None):
        return EngineOrder()


class Clock(TrainerCallback):
    def on_step_end(self, args, state, control, **kwargs):
        clock.step()
        if state.global_step >= s["warmup_steps"] + s["steps"]:
            control.should_training_stop = True  # the schedule still spans the whole epoch

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs:
            clock.losses.append(float(logs["loss"]))


collator = (DataCollatorWithFlattening(return_position_ids=True) if collator_name == "flatten"
            else DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=-100))
with tempfile.TemporaryDirectory(prefix="tailor-bench-") as tmp:
    args = TrainingArguments(
        output_dir=tmp, per_device_train_batch_size=s["batch_size"], gradient_accumulation_steps=s["accumulation"],
        learning_rate=s["learning_rate"], lr_scheduler_type="cosine", warmup_steps=0, weight_decay=0.0,
        max_grad_norm=1.0, num_train_epochs=1, optim="adamw_torch", logging_steps=1, save_strategy="no",
        report_to=[], seed=s["seed"], use_cpu=True, dataloader_num_workers=0, remove_unused_columns=False,
        disable_tqdm=True, bf16=use_bf16(),  # CPU autocast to bf16, as the engine does on this CPU
    )
    SameOrderTrainer(model=model, args=args, train_dataset=dataset, data_collator=collator,
                     callbacks=[Clock()]).train()
report(f"trainer-{collator_name}", s, clock, step_tokens(examples, s), step_flops(examples, s, model.config))
