"""Direct preference optimisation (DPO) with LoRA, and scoring preference pairs.

Each line of the data is a conversation that ends with the preferred answer, plus the answer the model
should not give (`non_preferred_output`). A pair is two sequences: the conversation with the preferred
answer ("chosen") and with the other ("rejected"); a sequence's log-probability is the sum over its
answer's tokens (data.py's assistant mask; earlier assistant turns are context, not counted).

    loss = -log sigmoid(beta * ((log p(chosen) - log ref(chosen)) - (log p(rejected) - log ref(rejected))))

The reference is the same weights without the adapter's training: a fresh adapter is switched off
(`model.disable_adapter()`), and a run that continues from a fine-tune uses that fine-tune as it starts
(DPO's reference is the model it starts from). Its log-probabilities never change, so they are computed
once, under no_grad, before the first step: no second copy of the model, and one forward pass per
sequence per step. The loop (epochs, accumulation, evaluation, the overfitting guard on the held-out DPO
loss, checkpoints, resume, saving) is LoRARecipe's; a pair's two sequences go in one packed row.
"""

import json
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

from .batch import _load
from .data import IGNORE, Encoded, collate, collate_packed, encode
from .device import pick_device
from .emit import log
from .errors import EngineError
from .kernels import _NOT_MODEL_INPUTS, LOSS_CHUNK, _head_is_plain
from .train import LoRARecipe, to_device, update


@dataclass
class Pair:
    chosen: Encoded
    rejected: Encoded
    # the reference model's log-probabilities of each side (set once, before training)
    ref_chosen: float = 0.0
    ref_rejected: float = 0.0

    @property
    def tokens(self) -> int:
        return len(self.chosen.input_ids) + len(self.rejected.input_ids)

    @property
    def usable(self) -> bool:
        return self.chosen.trained_tokens > 0 and self.rejected.trained_tokens > 0


def read_pairs(path: str) -> list[dict]:
    """The pairs of a chat JSONL file: {"messages", "tools", "non_preferred_output"} per line."""
    p = Path(path)
    if not p.is_file():
        raise EngineError("data_invalid", f"data file {p} does not exist")
    pairs = []
    with p.open(encoding="utf-8-sig") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
                pair = {"messages": value["messages"], "tools": value.get("tools") or None,
                        "non_preferred_output": value.get("non_preferred_output")}
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as e:
                raise EngineError("data_invalid", f"{p}, line {number}: not a chat example ({e})") from e
            if not pair["non_preferred_output"]:
                raise EngineError("data_invalid", f"{p}, line {number}: not a preference pair (it has no "
                                                  "non_preferred_output); train plain examples with method sft")
            pairs.append(pair)
    if not pairs:
        raise EngineError("data_invalid", f"{path} has no preference pairs")
    return pairs


def sides(pair: dict) -> tuple[list[dict], list[dict], list[dict]]:
    """The conversation before the answers (earlier assistant turns marked not to learn), the preferred
    answer (the trailing assistant messages) and the non-preferred one."""
    messages = pair["messages"]
    k = len(messages)
    while k > 0 and messages[k - 1]["role"] == "assistant":
        k -= 1
    prompt = [{**m, "weight": 0} if m["role"] == "assistant" else m for m in messages[:k]]
    return prompt, messages[k:], pair["non_preferred_output"]


def encode_pair(tokenizer, pair: dict, max_length: int) -> Pair:
    prompt, preferred, rejected = sides(pair)
    return Pair(encode(tokenizer, prompt + preferred, max_length, pair.get("tools")),
                encode(tokenizer, prompt + rejected, max_length, pair.get("tools")))


def encode_pairs(tokenizer, pairs: list[dict], max_length: int) -> list[Pair]:
    encoded = [encode_pair(tokenizer, p, max_length) for p in pairs]
    usable = [p for p in encoded if p.usable]
    if len(usable) < len(encoded):
        log(f"{len(encoded) - len(usable)} pairs had no answer left within {max_length} tokens and were left out")
    if not usable:
        raise EngineError("data_invalid", f"no preference pair has both answers within {max_length} tokens")
    return usable


def pair_rows(pairs: list[Pair], row_tokens: int) -> list[list[Pair]]:
    """Whole pairs in rows of at most `row_tokens` tokens (a longer pair gets a row of its own), the
    longest first into the first row with room, so that each pair's loss is complete within its row."""
    rows: list[list[Pair]] = []
    room: list[int] = []
    for p in sorted(pairs, key=lambda p: p.tokens, reverse=True):
        fit = next((i for i, r in enumerate(room) if r >= p.tokens), None)
        if fit is None:
            rows.append([p])
            room.append(row_tokens - p.tokens)
        else:
            rows[fit].append(p)
            room[fit] -= p.tokens
    return rows


def _chunk_logps(hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    logits = (hidden @ weight.T).float()
    return logits.gather(1, targets[:, None]).squeeze(1) - torch.logsumexp(logits, dim=-1)


def sequence_logps(model, batch: dict, n_seqs: int, count_hits: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Each sequence's summed log-probability of its trained tokens (a packed row's sequences, or a padded
    batch's rows), and (with `count_hits`) how many of them were the model's first choice. Output-layer
    logits are computed only where a token is trained, a chunk at a time (recomputed in the backward pass
    rather than kept)."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    inputs = {k: v for k, v in batch.items() if k not in _NOT_MODEL_INPUTS}
    index, targets = batch["target_index"], batch["targets"]
    if "cu_seq_lens_q" in batch:  # packed: the sequence is the segment the position falls in
        segment = torch.bucketize(index, batch["cu_seq_lens_q"][1:].to(index), right=True)
    else:
        segment = torch.div(index, batch["input_ids"].shape[1], rounding_mode="floor")
    hits = torch.zeros(n_seqs, dtype=torch.long, device=index.device)
    if _head_is_plain(base):
        hidden = base.get_decoder()(**inputs, use_cache=False).last_hidden_state
        hidden = hidden.reshape(-1, hidden.shape[-1]).index_select(0, index)
        weight = base.get_output_embeddings().weight
        parts = []
        for s in range(0, hidden.shape[0], LOSS_CHUNK):
            h, y = hidden[s:s + LOSS_CHUNK], targets[s:s + LOSS_CHUNK]
            if torch.is_grad_enabled():
                parts.append(checkpoint(_chunk_logps, h, weight, y, use_reentrant=False))
            else:
                logits = (h @ weight.T).float()
                parts.append(logits.gather(1, y[:, None]).squeeze(1) - torch.logsumexp(logits, dim=-1))
                if count_hits:
                    hits.index_add_(0, segment[s:s + LOSS_CHUNK], (logits.argmax(-1) == y).long())
        token_logps = torch.cat(parts) if parts else hidden.new_zeros(0, dtype=torch.float32)
    else:
        logits = model(**inputs, use_cache=False).logits
        logits = logits.reshape(-1, logits.shape[-1]).index_select(0, index).float()
        token_logps = logits.log_softmax(-1).gather(1, targets[:, None]).squeeze(1)
        if count_hits:
            hits.index_add_(0, segment, (logits.argmax(-1) == targets).long())
    sums = torch.zeros(n_seqs, dtype=torch.float32, device=index.device).index_add(0, segment, token_logps)
    return sums, hits


def pair_batch(pairs: list[Pair], packing: bool, pad_id: int) -> dict:
    """Chosen and rejected of each pair, in that order: one packed row, or padded rows."""
    seqs = [e for p in pairs for e in (p.chosen, p.rejected)]
    return collate_packed(seqs) if packing else collate(seqs, pad_id)


def pair_logps(model, pairs: list[Pair], packing: bool, pad_id: int, device,
               count_hits: bool = False) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Log-probabilities of each pair's chosen and rejected sequence, and the chosen answers' first-choice
    hits."""
    sums, hits = sequence_logps(model, to_device(pair_batch(pairs, packing, pad_id), device), 2 * len(pairs),
                                count_hits)
    sums = sums.view(-1, 2)
    return sums[:, 0], sums[:, 1], hits.view(-1, 2)[:, 0]


def dpo_loss(chosen: torch.Tensor, rejected: torch.Tensor, ref_chosen: torch.Tensor, ref_rejected: torch.Tensor,
             beta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Per pair: the DPO loss and the reward margin beta * ((chosen - ref) - (rejected - ref))."""
    margin = beta * ((chosen - ref_chosen) - (rejected - ref_rejected))
    return -F.logsigmoid(margin), margin


class DPORecipe(LoRARecipe):
    """LoRARecipe with preference pairs for data and the DPO loss for the step and the evaluation."""

    references_ready = False

    def load_data(self) -> None:
        cfg = self.cfg
        train_pairs = read_pairs(cfg.train_file)
        self.note_tools(train_pairs)
        self.train_set = encode_pairs(self.tokenizer, train_pairs, cfg.max_seq_length)
        self.val_set = encode_pairs(self.tokenizer, read_pairs(cfg.val_file), cfg.max_seq_length) if cfg.val_file else []
        cut = sum(p.chosen.truncated or p.rejected.truncated for p in self.train_set)
        if cut:
            log(f"{cut} training pairs had an answer longer than {cfg.max_seq_length} tokens, which was cut")

    def setup(self) -> None:
        super().setup()  # a resumed run computed the references before loading its checkpoint
        if not self.references_ready:
            self.compute_references()
        log(f"DPO with beta {self.cfg.beta} on {len(self.train_set)} pairs"
            f"{f' ({len(self.val_set)} held out)' if self.val_set else ''}")

    def resume(self, checkpoint: str) -> None:
        self.compute_references()  # from the model as it starts, before the checkpoint's adapter
        super().resume(checkpoint)

    def groups(self, pairs: list[Pair]) -> list[list[Pair]]:
        """The forward passes for these pairs: packed rows, or padded batches of `batch_size` pairs."""
        if self.cfg.packing:
            return pair_rows(pairs, self.row_tokens)
        return [pairs[k:k + self.cfg.batch_size] for k in range(0, len(pairs), self.cfg.batch_size)]

    @torch.no_grad()
    def compute_references(self) -> None:
        """The reference log-probabilities of every pair: a fresh adapter switched off, or the fine-tune
        this run continues from, as it is before the first step."""
        self.report.progress("prepare", "scoring the pairs with the reference model")
        model = self.model
        model.eval()
        off = nullcontext() if self.cfg.init_adapter_dir else model.disable_adapter()
        with off, self.autocast:
            for group in self.groups(self.train_set + self.val_set):
                chosen, rejected, _ = pair_logps(model, group, self.cfg.packing, self.pad_id, self.device)
                for p, c, r in zip(group, chosen.tolist(), rejected.tolist()):
                    p.ref_chosen, p.ref_rejected = c, r
        model.train()
        self.references_ready = True

    def _refs(self, group: list[Pair]) -> tuple[torch.Tensor, torch.Tensor]:
        return (torch.tensor([p.ref_chosen for p in group], device=self.device),
                torch.tensor([p.ref_rejected for p in group], device=self.device))

    def optimizer_step(self, step_batches: list[list[Pair]], epoch_now: float) -> None:
        """One optimizer step over these pairs: the mean DPO loss, each row's part back-propagated as it
        is computed (a pair never spans two rows)."""
        cfg = self.cfg
        t0 = time.perf_counter()
        step_pairs = [p for b in step_batches for p in b]
        n = len(step_pairs)
        loss_total, hits, margin_total = 0.0, 0, 0.0
        for group in self.groups(step_pairs):
            with self.autocast:
                chosen, rejected, _ = pair_logps(self.model, group, cfg.packing, self.pad_id, self.device)
            loss, margin = dpo_loss(chosen, rejected, *self._refs(group), cfg.beta)
            (loss.sum() / n).backward()
            loss_total += loss.sum().item()
            hits += int((margin > 0).sum())
            margin_total += margin.sum().item()
        update(self, loss_total / n, sum(p.tokens for p in step_pairs), t0, epoch_now, what="DPO loss",
               reward_accuracy=hits / n, reward_margin=margin_total / n)

    @torch.no_grad()
    def evaluate(self, epoch_now: float) -> float:
        """The DPO loss, reward accuracy and margin on the held-out pairs (and the token accuracy on their
        preferred answers), reported; the overfitting guard watches the DPO loss."""
        cfg = self.cfg
        self.model.eval()
        loss_total, hits, margin_total, correct, trained = 0.0, 0, 0.0, 0, 0
        with self.autocast:
            for group in self.groups(self.val_set):
                chosen, rejected, chosen_hits = pair_logps(self.model, group, cfg.packing, self.pad_id, self.device,
                                                           count_hits=True)
                loss, margin = dpo_loss(chosen, rejected, *self._refs(group), cfg.beta)
                loss_total += loss.sum().item()
                hits += int((margin > 0).sum())
                margin_total += margin.sum().item()
                correct += int(chosen_hits.sum())
                trained += sum(p.chosen.trained_tokens for p in group)
        self.model.train()
        n = len(self.val_set)
        val_loss = loss_total / n
        self.report.evaluation(step=self.step, epoch=epoch_now, val_loss=val_loss,
                               val_token_accuracy=correct / max(trained, 1), reward_accuracy=hits / n,
                               reward_margin=margin_total / n)
        self.track_best(val_loss)
        return val_loss


@torch.no_grad()
def score_pairs(request: dict, emit, stop) -> dict:
    """Each model's share of pairs whose preferred answer it finds more likely than the other, with the
    per-pair margins, in the request's order. Reference-free (the model alone) and per answer token
    (SimPO's reward): summed, a short answer is nearly always "more likely" than a long one whatever the
    model prefers (on examples/preference's held-out pairs, 0 of 8 for both SmolLM2 and its DPO tune,
    against 3 and 8 of 8 per token)."""
    device = pick_device()
    pairs = read_pairs(request["file"])
    batch_size, max_length = request.get("batch_size", 8), request.get("max_seq_length", 2048)
    total = len(pairs) * len(request["models"])
    done = 0
    results = []
    for spec in request["models"]:
        started = time.perf_counter()
        model, tokenizer = _load(spec, device)
        encoded = [encode_pair(tokenizer, p, max_length) for p in pairs]
        pad_id = tokenizer.pad_token_id
        margins: list[float] = []
        for k in range(0, len(encoded), batch_size):
            if stop.is_set():
                raise EngineError("cancelled", "scoring cancelled")
            group = encoded[k:k + batch_size]
            chosen, rejected, _ = pair_logps(model, group, False, pad_id, device)
            # per answer token; a pair cut to nothing on either side shows no preference
            margins += [c / p.chosen.trained_tokens - r / p.rejected.trained_tokens if p.usable else 0.0
                        for p, c, r in zip(group, chosen.tolist(), rejected.tolist())]
            done += len(group)
            emit({"type": "progress", "stage": "score", "message": f"scored {done} of {total} pairs",
                  "current": done, "total": total})
        results.append({"accuracy": sum(m > 0 for m in margins) / len(margins),
                        "mean_margin": sum(margins) / len(margins), "margins": margins,
                        "seconds": time.perf_counter() - started})
        del model
    return {"type": "pair_scores", "pairs": len(pairs), "models": results}
