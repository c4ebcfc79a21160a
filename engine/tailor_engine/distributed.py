"""Training on several processes (and machines), launched by `torchrun`.

`torchrun --nproc-per-node N [--nnodes M --rdzv-endpoint HOST:PORT] -m tailor_engine train` starts N
copies of the engine per machine and sets RANK, WORLD_SIZE, LOCAL_RANK and the rendezvous in their
environment. Here they join one process group (gloo on CPU, NCCL on GPUs) and agree on everything
that must be the same everywhere:

- rank 0 alone speaks the protocol: it reads the request line from stdin (every rank inherits the
  launcher's stdin; only rank 0 reads it), sends it to the others, writes every message, and hears
  the stop (its stdin closing), which `any_rank` turns into a decision all ranks take at the same step;
- each optimizer step's examples are split between the ranks by tokens (`shard`), every rank
  computes its share of the step's loss, and one all-reduce sums the gradients (`sum_gradients`), so
  N processes take the same step one process would, on the same global batch;
- rank 0 writes checkpoints and the finished model; every rank resumes from the same checkpoint;
- with the request's `shard`, the frozen base is sharded across the ranks (fsdp.py) instead of held
  whole by each; the steps, checkpoints and model are the same.

One process (no WORLD_SIZE) is rank 0 of 1, and none of this does anything.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import TYPE_CHECKING

from .errors import EngineError

if TYPE_CHECKING:
    import torch


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def rank() -> int:
    return int(os.environ.get("RANK", "0"))


def local_world_size() -> int:
    return int(os.environ.get("LOCAL_WORLD_SIZE", "1"))


def is_distributed() -> bool:
    return world_size() > 1


def init() -> str:
    """Joins the process group torchrun described; returns its backend. On GPUs each process takes
    the GPU of its local rank."""
    import torch
    import torch.distributed as dist

    if dist.is_initialized():
        return dist.get_backend()
    backend = "nccl" if torch.cuda.is_available() and os.environ.get("TAILOR_DEVICE", "cuda") != "cpu" else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    # a rank that dies leaves the others waiting in a collective; torchrun stops them when it sees the
    # death, and this timeout ends the wait where no launcher watches
    dist.init_process_group(backend, timeout=timedelta(minutes=int(os.environ.get("TAILOR_DIST_TIMEOUT_MIN", "30"))))
    return backend


def close() -> None:
    """Leaves the process group while the interpreter is fully alive. A sharded model holds the group
    and lives on in reference cycles; collected only at exit, the group's worker threads would still
    be freeing the last collective's tensors as the interpreter shuts down, and need the GIL it no
    longer gives (`terminate called without an active exception`, SIGABRT after a finished run).
    Collecting first lets those tensors go while the interpreter can still free them. The group's
    threads may outlive this (a device mesh keeps the group), so under torchrun the engine then ends
    without the interpreter's shutdown (__main__.py)."""
    import gc

    import torch.distributed as dist

    if dist.is_initialized():
        gc.collect()
        dist.destroy_process_group()


def share(obj: object) -> object:
    """Rank 0's `obj`, on every rank."""
    if not is_distributed():
        return obj
    import torch.distributed as dist

    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def any_rank(flag: bool) -> bool:
    """True on every rank when it is true on any (the stop: only rank 0 hears it)."""
    if not is_distributed():
        return flag
    import torch
    import torch.distributed as dist

    t = torch.tensor([1 if flag else 0], dtype=torch.int32, device=_collective_device())
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def total(value: float) -> float:
    """The sum of `value` over the ranks (a step's loss, a count)."""
    if not is_distributed():
        return value
    import torch
    import torch.distributed as dist

    t = torch.tensor([value], dtype=torch.float64, device=_collective_device())
    dist.all_reduce(t)
    return float(t.item())


def shard(sizes: list[int], ranks: int | None = None, me: int | None = None) -> list[int]:
    """The indices (into `sizes`, one per example: its tokens) this rank trains on in a step: the
    largest first, each to the rank with the fewest tokens so far, so that ranks finish together.
    Every rank computes the same split from the same step."""
    ranks, me = ranks or world_size(), rank() if me is None else me
    loads = [0] * ranks
    mine: list[int] = []
    for i in sorted(range(len(sizes)), key=lambda i: (-sizes[i], i)):
        r = min(range(ranks), key=lambda r: (loads[r], r))
        loads[r] += sizes[i]
        if r == me:
            mine.append(i)
    return sorted(mine)


def sum_gradients(params: list[torch.nn.Parameter]) -> None:
    """Each trainable parameter's gradient summed over the ranks, in one all-reduce of one flat buffer
    (as DDP's gradient buckets do). A rank with no examples in a step adds zeros. Each rank's loss is
    already divided by the step's global token count, so the sum is the one-process gradient."""
    if not is_distributed():
        return
    import torch
    import torch.distributed as dist
    from torch._utils import _flatten_dense_tensors, _unflatten_dense_tensors

    for p in params:
        if p.grad is None:
            p.grad = torch.zeros_like(p)
    grads = [p.grad for p in params]
    flat = _flatten_dense_tensors(grads)
    dist.all_reduce(flat)
    for g, summed in zip(grads, _unflatten_dense_tensors(flat, grads)):
        g.copy_(summed)


def _collective_device() -> torch.device:
    import torch
    import torch.distributed as dist

    return torch.device("cuda") if dist.get_backend() == "nccl" else torch.device("cpu")


def peer_lost(e: BaseException) -> bool:
    """Whether `e` is a collective that failed because another process of the run went away (killed,
    out of memory): gloo's and NCCL's errors, or torch's own distributed errors."""
    import torch.distributed as dist

    if isinstance(e, getattr(dist, "DistError", ())):
        return True
    text = str(e)
    return isinstance(e, RuntimeError) and any(
        mark in text for mark in ("gloo", "NCCL", "Connection reset by peer", "Connection closed by peer"))


def refuse(command: str) -> None:
    """Only supervised LoRA training runs on several processes."""
    raise EngineError("invalid_request", f"'{command}' runs in one process; only `train` with method 'sft' runs "
                                         f"under torchrun (WORLD_SIZE={world_size()})")
