"""The frozen base sharded across the processes of a torchrun run (FSDP2), when the train request asks
(`shard`): for a base that does not fit one GPU.

`fully_shard` goes on each decoder layer, on the input embedding (unless the output layer shares its
weight) and, as the root, on a small module whose forward is the loss. The root is that module, not the
model, because the loss (kernels.token_loss) calls the decoder and reads the output layer's weight
directly instead of running the model's forward, where FSDP's hooks would be. The root's group holds
what is left: the final norm and the output layer (with a tied embedding, the shared weight), gathered
for the step. Between steps each process holds its 1/N of every weight; FSDP's hooks gather a layer's
weights for its forward and again for its backward, and free them after.

LoRA's weights stay out of FSDP (`ignored_params`): every process keeps all of them, as unsharded, so
the optimizer, gradient clipping, `distributed.sum_gradients` (the only reduction of their gradients:
the frozen base has none for FSDP to reduce), checkpoints and resume are the unsharded code, and the
curve is the one of one process. They are a small part of the base's size.

On GPUs the mesh is on CUDA (NCCL); on CPU it is gloo's. The base is loaded on the CPU and each process
moves only its shards to the GPU.
"""

from __future__ import annotations

import torch

from . import distributed
from .emit import log
from .errors import EngineError
from .kernels import token_loss


def wanted(cfg) -> bool:
    """Whether this run shards its base: asked for, under torchrun, on more than one process. One
    process, or no torchrun, trains unsharded without a word."""
    # getattr: `shard` is read before protocol/ has the field (generated.py then has no attribute)
    return bool(cfg.shard) and distributed.is_distributed()


class ShardedLoss:
    """`token_loss(model, batch)` through the FSDP root, so that its hooks gather and free the weights."""

    def __init__(self, root: torch.nn.Module):
        self.root = root

    def __call__(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor, int]:
        out = self.root(batch)
        if not torch.is_grad_enabled():  # an evaluation: no backward will free the root's weights
            self.root.reshard()
        return out


class _LossRoot(torch.nn.Module):
    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, batch: dict):
        return token_loss(self.model, batch)


def shard(model, device: torch.device) -> ShardedLoss:
    """Shards `model`'s frozen weights across the ranks (its LoRA weights moved to `device`, whole on
    each); returns the loss to train and evaluate with. Logs how many bytes of the base each process
    holds, against all of them unsharded."""
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard

    if device.type not in ("cpu", "cuda"):
        raise EngineError("invalid_request", f"sharding the base runs on CUDA GPUs or CPUs, not on {device.type}; "
                                             "train without `shard`")
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    whole = held_bytes(model)
    lora = {p for p in model.parameters() if p.requires_grad}
    for p in lora:
        p.data = p.data.to(device)
    mesh = init_device_mesh(device.type, (distributed.world_size(),))
    for layer in decoder_layers(base):
        fully_shard(layer, mesh=mesh, ignored_params=lora)
    embedding, head = base.get_input_embeddings(), base.get_output_embeddings()
    if head is None or getattr(head, "weight", None) is not embedding.weight:
        fully_shard(embedding, mesh=mesh, ignored_params=lora)
    root = _LossRoot(model)
    fully_shard(root, mesh=mesh, ignored_params=lora)
    mine = held_bytes(model)
    per_rank = [0] * distributed.world_size()
    torch.distributed.all_gather_object(per_rank, mine)
    if distributed.rank() == 0:
        held = ", ".join(f"rank {r} holds {b:,}" for r, b in enumerate(per_rank))
        log(f"sharded the base across {len(per_rank)} processes: {held} bytes of its weights "
            f"(unsharded, each would hold all {whole:,})")
    return ShardedLoss(root)


def decoder_layers(base) -> torch.nn.ModuleList:
    """The decoder's repeated blocks: `layers` (Llama, Qwen, Mistral, Gemma, Phi), else its one list of
    modules (GPT-2's `h`)."""
    decoder = base.get_decoder()
    layers = getattr(decoder, "layers", None)
    if isinstance(layers, torch.nn.ModuleList):
        return layers
    lists = [m for m in decoder.children() if isinstance(m, torch.nn.ModuleList)]
    if len(lists) != 1:
        raise EngineError("invalid_request", f"cannot find the decoder layers of {type(base).__name__} to shard; "
                                             "train without `shard`")
    return lists[0]


def held_bytes(model) -> int:
    """Bytes of the frozen weights this process holds: its shards where sharded, all of a weight where not."""
    from torch.distributed.tensor import DTensor

    return sum((p.to_local() if isinstance(p, DTensor) else p).numel() * p.element_size()
               for p in model.parameters() if not p.requires_grad)
