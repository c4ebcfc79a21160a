"""Fine-tuning an encoder with a classification head on labelled texts, in the recipe shape of train.py:
setup -> train (evaluate, checkpoint) -> calibrate -> save.

All of the encoder's weights are trained (MiniLM has 22M; LoRA would save little and learn less), with
AdamW, a linear warmup and decay, and gradient clipping. Batches are padded to their longest text only.
A checkpoint (weights, optimizer, position) is written at an epoch's end when a minute has passed since
the last, every `checkpoint_every_steps`, and when the run is stopped. Reports go through the same
`Reporter` as LoRA training, so a job shows the same progress, curves and
events: `evaluation.val_token_accuracy` is the classification accuracy here (the share of texts whose
predicted labels are exactly the expected ones). After training, a temperature T is fitted on the
validation set (the one that minimises its negative log-likelihood), so that softmax(logits / T) or
sigmoid(logits / T) are calibrated scores; the folder is the one classify_infer.py reads.
"""

import json
import math
import os
import random
import shutil
import threading
import time
from contextlib import nullcontext
from dataclasses import asdict
from pathlib import Path

import torch
import torch.nn.functional as F

from .classify_infer import CLASSIFIER_FILE
from .config import refuse_unknown_keys
from .device import autocast_dtype, pick_device, set_cpu_threads
from .emit import log
from .errors import EngineError
from .generated import TrainClassifierRequest
from .model import count_parameters, locate
from .report import JsonLinesReporter, Reporter
from .train import adamw, update

THRESHOLD = 0.5  # a multi-label classifier predicts each label scoring at least this
# The temperature is fitted within these bounds: below 0.5 only a small validation set that the model
# gets all right asks for it (it would make every score near 0 or 1), above 10 the scores say nothing.
T_MIN, T_MAX = 0.5, 10.0
MIN_CALIBRATION_TEXTS = 10
ECE_BINS = 10
# A checkpoint holds the weights and AdamW's two moments (about 270 MB for MiniLM, a second to write):
# at an epoch's end only when this long has passed since the last one, and whenever asked.
CHECKPOINT_SECONDS = 60.0


class ClassifierConfig(TrainClassifierRequest):
    @classmethod
    def from_request(cls, request: dict) -> "ClassifierConfig":
        refuse_unknown_keys("train-classifier", request)
        return cls(**request)

    def to_dict(self) -> dict:
        return asdict(self)


def read_labelled(path: str) -> list[tuple[str, list[str]]]:
    """(text, labels) of each line of a stored chat JSONL file: the first user message and `labels`."""
    p = Path(path)
    if not p.is_file():
        raise EngineError("data_invalid", f"data file {p} does not exist")
    out = []
    with p.open(encoding="utf-8-sig") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
                text = next(m["content"] for m in value["messages"] if m["role"] == "user")
                labels = value["labels"]
            except (json.JSONDecodeError, KeyError, TypeError, StopIteration) as e:
                raise EngineError("data_invalid", f"{p}, line {number}: not a labelled text (it needs a user "
                                                  f"message and \"labels\"; {type(e).__name__}: {e})") from e
            if not isinstance(labels, list) or not labels or not all(isinstance(x, str) and x for x in labels):
                raise EngineError("data_invalid", f"{p}, line {number}: \"labels\" must be a list of label names")
            out.append((text, labels))
    if not out:
        raise EngineError("data_invalid", f"{p} has no labelled texts")
    return out


def base_name(source: dict) -> str:
    return source.get("name") or source.get("repo_id") or Path(source.get("path", "encoder")).name


def expected_calibration_error(scores: torch.Tensor, targets: torch.Tensor, multi_label: bool) -> float:
    """How far confidence is from accuracy, averaged over ECE_BINS equal-width bins of confidence.
    Single-label: the top score against whether the top label is right. Multi-label: every label's
    score against whether the text has that label."""
    if multi_label:
        confidence, correct = scores.flatten(), targets.flatten().float()
    else:
        confidence, predicted = scores.max(dim=-1)
        correct = (predicted == targets).float()
    bins = torch.clamp((confidence * ECE_BINS).long(), max=ECE_BINS - 1)
    error = 0.0
    for b in range(ECE_BINS):
        inside = bins == b
        if inside.any():
            error += inside.float().mean().item() * abs(confidence[inside].mean().item() - correct[inside].mean().item())
    return error


def nll(logits: torch.Tensor, targets: torch.Tensor, multi_label: bool) -> float:
    if multi_label:
        return F.binary_cross_entropy_with_logits(logits, targets.float()).item()
    return F.cross_entropy(logits, targets).item()


def fit_temperature(logits: torch.Tensor, targets: torch.Tensor, multi_label: bool) -> float:
    """The T in [T_MIN, T_MAX] with the lowest NLL of logits / T (golden-section search on log T; the
    NLL is convex in 1/T, so it has one minimum)."""
    lo, hi = math.log(T_MIN), math.log(T_MAX)
    golden = (math.sqrt(5) - 1) / 2
    f = lambda t: nll(logits / math.exp(t), targets, multi_label)  # noqa: E731
    a, b = hi - golden * (hi - lo), lo + golden * (hi - lo)
    fa, fb = f(a), f(b)
    for _ in range(60):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - golden * (hi - lo)
            fa = f(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + golden * (hi - lo)
            fb = f(b)
    return math.exp((lo + hi) / 2)


class ClassifierRecipe:
    """One classifier fine-tuning run. Its position lives on the recipe and in every checkpoint, so a
    resumed run goes on exactly where the checkpoint left it."""

    def __init__(self, cfg: ClassifierConfig, report: Reporter):
        self.cfg, self.report = cfg, report
        self.step, self.first_loss, self.last_loss, self.start_epoch, self.start_batch = 0, None, None, 0, 0
        self.best = {"val_loss": None, "step": None, "bad_evals": 0}
        self.stopped_early = False
        self.calibration: dict = {"temperature": 1.0, "examples": 0}

    # setup -------------------------------------------------------------------------------------------
    def setup(self) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

        cfg = self.cfg
        random.seed(cfg.seed)
        torch.manual_seed(cfg.seed)
        self.device = device = pick_device()
        set_cpu_threads()
        amp = torch.bfloat16 if device.type == "cuda" and torch.cuda.is_bf16_supported() else autocast_dtype(device)
        self.autocast = torch.autocast(device.type, dtype=amp) if amp else nullcontext()

        train = read_labelled(cfg.train_file)
        seen = sorted({label for _, labels in train for label in labels})
        self.labels = list(cfg.labels) if cfg.labels else seen
        if len(set(self.labels)) != len(self.labels):
            raise EngineError("invalid_request", "labels: a label is listed twice")
        unknown = sorted(set(seen) - set(self.labels))
        if unknown:
            raise EngineError("data_invalid", f"{cfg.train_file}: labels {unknown} are not among the classifier's "
                                              f"labels {self.labels}")
        if len(self.labels) < 2:
            raise EngineError("data_invalid", f"{cfg.train_file}: every text has the label {self.labels[0]!r}; "
                                              "a classifier needs at least two labels")
        several = any(len(labels) != 1 for _, labels in train)
        self.multi_label = cfg.multi_label if cfg.multi_label is not None else several
        if several and not self.multi_label:
            raise EngineError("data_invalid", f"{cfg.train_file}: some texts have several labels but multi_label "
                                              "is false")
        val = read_labelled(cfg.val_file) if cfg.val_file else []
        kept = [(t, ls) for t, ls in val if set(ls) <= set(self.labels)]
        if len(kept) < len(val):
            log(f"{len(val) - len(kept)} validation texts have labels training never saw; they are left out")
        val = kept

        located = locate(cfg.base)
        if located.gguf_file:
            raise EngineError("invalid_request", f"{located.describe()} is a GGUF file; a classifier is trained "
                                                 "from an encoder's Hugging Face folder (e.g. all-minilm-l6-v2)")
        self.report.progress("load", f"loading {located.describe()}")
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(located.folder)
            model = AutoModelForSequenceClassification.from_pretrained(
                located.folder, num_labels=len(self.labels), id2label=dict(enumerate(self.labels)),
                label2id={label: i for i, label in enumerate(self.labels)},
                problem_type="multi_label_classification" if self.multi_label else "single_label_classification")
        except (OSError, ValueError) as e:
            raise EngineError("model_corrupt", f"could not load {located.describe()} as an encoder with a "
                                               f"classification head: {type(e).__name__}: {e}") from e
        if self.tokenizer.pad_token is None:
            raise EngineError("invalid_request", f"{located.describe()} has no padding token; it is not an encoder")
        limit = getattr(model.config, "max_position_embeddings", None) or 512
        self.max_length = min(cfg.max_length, limit)
        self.model = model.to(device)
        self.report.progress("prepare", "tokenizing texts")
        self.train_set = self.encode(train)
        self.val_set = self.encode(val)
        cut = sum(1 for ids in self.train_set[0] if len(ids) >= self.max_length)
        if cut:
            log(f"{cut} training texts were longer than {self.max_length} tokens; the classifier reads their start")
        self.label_counts = {label: sum(label in ls for _, ls in train) for label in self.labels}

        decay = [p for n, p in model.named_parameters() if p.ndim >= 2]
        no_decay = [p for n, p in model.named_parameters() if p.ndim < 2]  # biases and LayerNorm
        groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
        self.optimizer = adamw(groups, cfg.learning_rate)  # every weight is updated: 22M for MiniLM
        self.per_epoch = math.ceil(len(train) / cfg.batch_size)
        self.total_steps = self.per_epoch * cfg.epochs
        self.scheduler = get_linear_schedule_with_warmup(self.optimizer, math.ceil(cfg.warmup_ratio * self.total_steps),
                                                         self.total_steps)
        self.data_rng = torch.Generator().manual_seed(cfg.seed)
        self.trainable, self.total_params = count_parameters(model)
        log(f"training a classifier ({'multi-label' if self.multi_label else 'single-label'}, labels "
            f"{', '.join(self.labels)}): {self.trainable:,} parameters on {device.type}, {len(train)} texts, "
            f"{cfg.epochs} epochs, {self.total_steps} steps")
        if cfg.resume_from:
            self.resume(cfg.resume_from)

    def encode(self, rows: list[tuple[str, list[str]]]) -> tuple[list[list[int]], torch.Tensor]:
        """Token ids per text (cut at max_length) and targets: label indices, or 0/1 rows for multi-label."""
        if not rows:
            return [], torch.zeros(0)
        ids = self.tokenizer([t for t, _ in rows], truncation=True, max_length=self.max_length)["input_ids"]
        index = {label: i for i, label in enumerate(self.labels)}
        if self.multi_label:
            targets = torch.zeros(len(rows), len(self.labels))
            for r, (_, labels) in enumerate(rows):
                for label in labels:
                    targets[r, index[label]] = 1.0
        else:
            targets = torch.tensor([index[labels[0]] for _, labels in rows])
        return ids, targets

    def resume(self, checkpoint: str) -> None:
        from safetensors.torch import load_file

        folder = Path(checkpoint)
        if not (folder / "trainer_state.pt").is_file() or not (folder / "model.safetensors").is_file():
            raise EngineError("invalid_request", f"{folder} is not a complete Tailor classifier checkpoint")
        state = torch.load(folder / "trainer_state.pt", weights_only=False)
        if state.get("labels") != self.labels:
            raise EngineError("invalid_request", f"{folder} was trained on other labels ({state.get('labels')})")
        self.model.load_state_dict(load_file(str(folder / "model.safetensors")), strict=False)
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["torch_rng"])
        random.setstate(state["python_rng"])
        self.data_rng.set_state(state["epoch_rng"])
        self.step, self.first_loss, self.last_loss = state["step"], state["first_loss"], state["last_loss"]
        self.start_epoch, self.start_batch, self.best = state["epoch"], state["next_batch"], state["best"]
        log(f"resuming from {checkpoint}: step {self.step}, epoch {self.start_epoch}, batch {self.start_batch}")

    # train -------------------------------------------------------------------------------------------
    def forward(self, ids: list[list[int]], rows: list[int]) -> tuple[torch.Tensor, int]:
        """Logits for these texts (padded to the longest of them) and their tokens."""
        batch = self.tokenizer.pad({"input_ids": [ids[r] for r in rows]}, return_tensors="pt")
        batch = {k: v.to(self.device) for k, v in batch.items()}
        with self.autocast:
            logits = self.model(**batch).logits
        return logits.float(), int(batch["attention_mask"].sum())

    def loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        if self.multi_label:
            return F.binary_cross_entropy_with_logits(logits, targets)
        return F.cross_entropy(logits, targets)

    def train(self, stop: threading.Event) -> None:
        cfg = self.cfg
        ids, targets = self.train_set
        self.model.train()
        self.started, self.resumed_at = time.perf_counter(), self.step
        self.checkpointed = self.started
        for epoch in range(self.start_epoch, cfg.epochs):
            epoch_rng = self.data_rng.get_state()
            order = torch.randperm(len(ids), generator=self.data_rng).tolist()
            batches = [order[k:k + cfg.batch_size] for k in range(0, len(order), cfg.batch_size)]
            for k in range(self.start_batch if epoch == self.start_epoch else 0, len(batches)):
                if stop.is_set():
                    self.checkpoint({"epoch": epoch, "next_batch": k, "epoch_rng": epoch_rng}, epoch + k / len(batches))
                    raise EngineError("cancelled", f"training stopped at step {self.step} of {self.total_steps}; "
                                                   f"checkpoint kept in {cfg.checkpoint_dir}")
                epoch_now = epoch + (k + 1) / len(batches)
                self.optimizer_step(ids, targets, batches[k], epoch_now)
                epoch_end = k + 1 == len(batches)
                position = ({"epoch": epoch + 1, "next_batch": 0, "epoch_rng": self.data_rng.get_state()} if epoch_end
                            else {"epoch": epoch, "next_batch": k + 1, "epoch_rng": epoch_rng})
                val_loss = None
                if self.val_set[0] and (epoch_end or (cfg.eval_every_steps and self.step % cfg.eval_every_steps == 0)):
                    val_loss = self.evaluate(epoch_now)
                due = epoch_end and time.perf_counter() - self.checkpointed >= CHECKPOINT_SECONDS
                if due or (cfg.checkpoint_every_steps and self.step % cfg.checkpoint_every_steps == 0):
                    self.checkpoint(position, epoch_now, val_loss)
                patience = cfg.early_stopping_patience
                if patience and self.best["bad_evals"] >= patience and self.step < self.total_steps:
                    log(f"validation loss has not improved for {self.best['bad_evals']} evaluations; "
                        f"stopping at step {self.step}")
                    self.stopped_early = True
                    return

    def optimizer_step(self, ids: list[list[int]], targets: torch.Tensor, rows: list[int], epoch_now: float) -> None:
        t0 = time.perf_counter()
        logits, tokens = self.forward(ids, rows)
        loss = self.loss(logits, targets[rows].to(self.device))
        loss.backward()
        update(self, loss.item(), tokens, t0, epoch_now)

    @torch.no_grad()
    def logits_of(self, ids: list[list[int]]) -> torch.Tensor:
        self.model.eval()
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))  # similar lengths pad little
        out = torch.zeros(len(ids), len(self.labels))
        for k in range(0, len(order), 64):
            rows = order[k:k + 64]
            out[rows] = self.forward(ids, rows)[0].cpu()
        self.model.train()
        return out

    def predictions_right(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        if self.multi_label:
            return ((torch.sigmoid(logits) >= THRESHOLD).float() == targets).all(dim=-1)
        return logits.argmax(dim=-1) == targets

    def evaluate(self, epoch_now: float) -> float:
        """Validation loss and accuracy, reported; a new best is kept for the overfitting guard."""
        ids, targets = self.val_set
        logits = self.logits_of(ids)
        val_loss = nll(logits, targets, self.multi_label)
        accuracy = self.predictions_right(logits, targets).float().mean().item()
        self.report.evaluation(step=self.step, epoch=epoch_now, val_loss=val_loss, val_token_accuracy=accuracy)
        if self.best["val_loss"] is None or val_loss < self.best["val_loss"]:
            self.best = {"val_loss": val_loss, "step": self.step, "bad_evals": 0}
            if self.cfg.early_stopping_patience:
                self.save_weights(Path(self.cfg.checkpoint_dir) / "best")
        else:
            self.best = {**self.best, "bad_evals": self.best["bad_evals"] + 1}
        return val_loss

    def save_weights(self, target: Path) -> None:
        tmp = target.parent / f".tmp-{target.name}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        self.model.save_pretrained(tmp)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)

    def checkpoint(self, position: dict, epoch_now: float, val_loss: float | None = None) -> None:
        """The weights plus everything needed to continue; the latest `keep_checkpoints` are kept."""
        cfg, step = self.cfg, self.step
        root = Path(cfg.checkpoint_dir)
        target = root / f"step-{step:06d}"
        self.save_weights(target)
        torch.save({"optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(), "step": step,
                    **position, "first_loss": self.first_loss, "last_loss": self.last_loss, "best": self.best,
                    "labels": self.labels, "torch_rng": torch.get_rng_state(), "python_rng": random.getstate()},
                   target / ".trainer_state.pt")
        os.replace(target / ".trainer_state.pt", target / "trainer_state.pt")  # complete only once this exists
        for old in sorted(root.glob("step-*"))[:-cfg.keep_checkpoints]:
            shutil.rmtree(old, ignore_errors=True)
        self.checkpointed = time.perf_counter()
        self.report.checkpoint(step=step, epoch=epoch_now, path=str(target), train_loss=self.last_loss,
                               val_loss=val_loss)

    # calibrate and save ------------------------------------------------------------------------------
    def calibrate(self) -> None:
        """Fits the temperature on the validation set (T = 1 without enough validation texts)."""
        ids, targets = self.val_set
        if len(ids) < MIN_CALIBRATION_TEXTS:
            log(f"{len(ids)} validation texts are too few to calibrate the scores "
                f"({MIN_CALIBRATION_TEXTS} needed); temperature 1")
            self.calibration = {"temperature": 1.0, "examples": len(ids)}
            return
        logits = self.logits_of(ids)
        t = fit_temperature(logits, targets, self.multi_label)
        score = (lambda z: torch.sigmoid(z)) if self.multi_label else (lambda z: torch.softmax(z, dim=-1))
        self.calibration = {
            "temperature": t, "examples": len(ids),
            "nll_before": nll(logits, targets, self.multi_label), "nll_after": nll(logits / t, targets, self.multi_label),
            "ece_before": expected_calibration_error(score(logits), targets, self.multi_label),
            "ece_after": expected_calibration_error(score(logits / t), targets, self.multi_label),
        }
        c = self.calibration
        log(f"temperature {t:.3f} on {len(ids)} validation texts: NLL {c['nll_before']:.4f} -> {c['nll_after']:.4f}, "
            f"expected calibration error {c['ece_before']:.4f} -> {c['ece_after']:.4f}")

    def save(self) -> dict:
        """The classifier folder (the best weights when the overfitting guard is on), calibrated; returns
        the `completed` message."""
        from safetensors.torch import load_file

        cfg, step, best = self.cfg, self.step, self.best
        train_seconds = time.perf_counter() - self.started
        model_step = step
        best_dir = Path(cfg.checkpoint_dir) / "best"
        if cfg.early_stopping_patience and best["step"] is not None and best["step"] != step and best_dir.is_dir():
            self.model.load_state_dict(load_file(str(best_dir / "model.safetensors")), strict=False)
            model_step = best["step"]
        self.calibrate()
        out = Path(cfg.out_dir)
        out.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(out)
        self.tokenizer.save_pretrained(out)
        (out / CLASSIFIER_FILE).write_text(json.dumps({
            "labels": self.labels, "multi_label": self.multi_label, "threshold": THRESHOLD,
            "temperature": self.calibration["temperature"], "max_length": self.max_length,
            "base": base_name(cfg.base)}, indent=2))
        sizes = {"trainable_parameters": self.trainable, "total_parameters": self.total_params}
        (out / "tailor_train.json").write_text(json.dumps({
            "config": cfg.to_dict(), "steps": step, "model_step": model_step, "stopped_early": self.stopped_early,
            "best_val_loss": best["val_loss"], "first_train_loss": self.first_loss, "final_train_loss": self.last_loss,
            "train_seconds": train_seconds, "train_examples": len(self.train_set[0]),
            "val_examples": len(self.val_set[0]), "label_counts": self.label_counts, "calibration": self.calibration,
            **sizes}, indent=2))
        done = {"type": "completed", "model": cfg.model_name, "path": str(out), "steps": step,
                "first_train_loss": float(self.first_loss), "final_train_loss": float(self.last_loss),
                "train_seconds": train_seconds, **sizes, "stopped_early": self.stopped_early, "model_step": model_step}
        if best["val_loss"] is not None:
            done["best_val_loss"] = float(best["val_loss"])
        return done


def train_classifier(request: dict, emit, stop: threading.Event) -> dict:
    recipe = ClassifierRecipe(ClassifierConfig.from_request(request), JsonLinesReporter(emit))
    recipe.setup()
    recipe.train(stop)
    return recipe.save()
