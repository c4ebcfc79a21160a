"""The training step's heavy parts, made to skip work that does not count.

- Packed attention: a row holds several examples end to end; each example attends only to itself,
  computed one segment at a time, so attention costs sum(l_i^2) rather than (sum l_i)^2, and no
  row-sized mask is ever built. On CUDA, PyTorch's varlen flash attention does all segments at once.
- Linear cross-entropy on trained positions only: output-layer logits are computed just where a label
  is, a chunk at a time, with the gradient worked out in the same pass (as Liger's fused kernel does),
  so the full (tokens x vocabulary) logits never exist. With Liger installed on CUDA, Liger's is used.
"""

import functools
import math
import os
import time
import types
from collections import defaultdict
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F

from . import distributed

PACKED = "tailor_packed"
LOSS_CHUNK = 1024  # positions per chunk of logits: 1024 x 49,152 x 4 bytes = 200 MB for SmolLM2


def _varlen_flash(query, key, value, cu_seqlens, max_len: int, scaling):
    """CUDA, half precision: one varlen flash kernel over every segment; None where it cannot run."""
    if not query.is_cuda or query.dtype not in (torch.float16, torch.bfloat16):
        return None
    try:
        from torch.nn.attention.varlen import varlen_attn
    except ImportError:
        return None
    try:
        q, k, v = (t[0].transpose(0, 1) for t in (query, key, value))  # (T, heads, head_dim)
        cu = cu_seqlens.to(device=query.device, dtype=torch.int32)
        out = varlen_attn(q, k, v, cu, cu, max_len, max_len, scale=scaling, window_size=(-1, 0),
                          enable_gqa=k.shape[1] != q.shape[1])
    except (RuntimeError, TypeError, NotImplementedError):
        return None
    return out.unsqueeze(0)  # (1, T, heads, head_dim)


# On the CPU, segments shorter than this (by the dtype attention computes in) attend through the grouped
# math path, which beats SDPA's flash kernel there (bench/README.md); TAILOR_MATH_ATTENTION_BELOW sets one
# length for every dtype, 0 sends every segment past it (to flash, or in fp32 training to `_BlockedAttention`)
MATH_BELOW = ({torch.bfloat16: 512, torch.float16: 512, torch.float32: 256}
              if os.environ.get("TAILOR_MATH_ATTENTION_BELOW") is None
              else defaultdict(lambda: int(os.environ["TAILOR_MATH_ATTENTION_BELOW"])))


# On the CPU in bf16 or fp16 the matmuls are oneDNN's, which creates (compiles) a matmul for every new
# shape, 2-20 ms each: about 60 a step, a tenth of a short step, when every packed row and every example
# has a length of its own. Packed rows are made a multiple of ROW_MULTIPLE tokens long (data.collate_packed)
# and the grouped math path computes each segment as if it were a multiple of SEGMENT_MULTIPLE long, so
# that lengths repeat and their matmuls are reused (bench/README.md). TAILOR_ROW_MULTIPLE and
# TAILOR_SEGMENT_MULTIPLE set them (1 turns each off).
ROW_MULTIPLE = int(os.environ.get("TAILOR_ROW_MULTIPLE", "32"))
SEGMENT_MULTIPLE = int(os.environ.get("TAILOR_SEGMENT_MULTIPLE", "16"))


def _one_dnn(device: torch.device, dtype: torch.dtype) -> bool:
    return device.type == "cpu" and dtype in (torch.bfloat16, torch.float16)


def row_multiple(device: torch.device, dtype: torch.dtype | None) -> int:
    """What a packed row's length is rounded up to for training in `dtype` (None: fp32) on `device`."""
    return ROW_MULTIPLE if dtype is not None and _one_dnn(device, dtype) else 1


def _compute_dtype(tensor: torch.Tensor) -> torch.dtype:
    """The dtype a matmul of `tensor` runs in here: autocast's where it is on, else the tensor's."""
    kind = tensor.device.type
    return torch.get_autocast_dtype(kind) if torch.is_autocast_enabled(kind) else tensor.dtype


@functools.lru_cache(maxsize=64)
def _causal_bias(length: int, groups: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """(groups x length, length): 0 on and below the diagonal, -inf above, repeated for each query head
    of a key/value head's group."""
    return torch.full((length, length), float("-inf"), dtype=dtype, device=device).triu(1).repeat(groups, 1)


def _grouped_math_attention(query, key, value, dropout_p: float, scaling):
    """Causal attention of one segment as matmul, softmax, matmul, with the query heads that share a
    key/value head stacked into one matrix: (1, heads, L, d) queries against (1, kv_heads, L, d) keys
    and values, no key/value repeated per query head, kv_heads products of (groups x L) rows instead of
    heads products of L. On the CPU about twice as fast as SDPA's math path and faster than its flash
    kernel below MATH_BELOW, forward and backward (bench/README.md); the same as SDPA to the dtype's
    rounding (engine/tests/test_packing.py)."""
    _, heads, length, dim = query.shape
    kv_heads = key.shape[1]
    groups = heads // kv_heads
    scale = scaling if scaling is not None else dim ** -0.5
    dtype = _compute_dtype(query)
    if (fill := -length % SEGMENT_MULTIPLE) and _one_dnn(query.device, dtype):
        # zeros after the segment: causal, no real query sees them, and their own rows are dropped
        query, key, value = (F.pad(t, (0, 0, 0, fill)) for t in (query, key, value))
        return _grouped_math_attention(query, key, value, dropout_p, scaling)[:, :, :length]
    bias = _causal_bias(length, groups, dtype, query.device)
    # squeeze, not [0]: a selection's gradient is a fresh zero tensor with the gradient copied in
    scores = torch.baddbmm(bias, query.reshape(kv_heads, groups * length, dim), key.squeeze(0).transpose(1, 2),
                           alpha=scale)
    probs = scores.softmax(-1)
    if dropout_p:
        probs = F.dropout(probs, dropout_p)
    return torch.bmm(probs, value.squeeze(0)).view(1, heads, length, dim)


# In fp32 training on the CPU, a segment of MATH_BELOW tokens or more attends in blocks of BLOCK_PLACES
# query places (`_BlockedAttention`) instead of through SDPA's flash kernel: less time and less memory
# (no keys and values repeated per query head). Its probabilities, kept for backward, save computing
# them again there (4-5% of a long-answer step) but cost 4 x heads x about L^2 / 2 bytes a segment and
# layer (18 MB for 1,000 tokens and SmolLM2's 9 heads, times 30 layers): a packed row keeps them within
# PROBS_BUDGET over all its layers, its shortest segments first, and computes the rest again
# (bench/README.md). TAILOR_BLOCKED_ATTENTION=0: SDPA's flash kernel, as before.
BLOCKED_ATTENTION = os.environ.get("TAILOR_BLOCKED_ATTENTION", "1") != "0"
BLOCK_PLACES = 64
PROBS_SHARE_OF_AVAILABLE = 8


def probs_budget(setting: str | None, meminfo: str = "/proc/meminfo", processes: int = 1) -> int:
    """Bytes of attention probabilities a packed row may keep for backward, over all its layers:
    `setting` (TAILOR_ATTENTION_PROBS_MB) megabytes if given, 0 to compute them all again; otherwise
    an eighth of the memory the system has available when the engine starts (Linux's MemAvailable),
    shared by the `processes` training on this machine (torchrun's LOCAL_WORLD_SIZE), and none where
    that cannot be read."""
    if setting and setting.strip():
        if not setting.strip().isdecimal():
            raise ValueError(f"TAILOR_ATTENTION_PROBS_MB is {setting!r}: give a whole number of megabytes "
                             "(0 computes attention's probabilities again in backward), or leave it unset")
        return int(setting) << 20
    try:
        with open(meminfo, encoding="ascii") as f:
            kb = next(int(line.split()[1]) for line in f if line.startswith("MemAvailable:"))
    except (OSError, StopIteration, ValueError, IndexError):
        return 0
    return (kb << 10) // PROBS_SHARE_OF_AVAILABLE // max(1, processes)


PROBS_BUDGET = probs_budget(os.environ.get("TAILOR_ATTENTION_PROBS_MB"), processes=distributed.local_world_size())


def kept_probs_note(device: torch.device, dtype: torch.dtype) -> str | None:
    """What the training log says of PROBS_BUDGET, where training on this device in this dtype takes the
    blocked path (`_blocked`: the CPU, fp32, TAILOR_BLOCKED_ATTENTION not 0); None elsewhere."""
    if not (BLOCKED_ATTENTION and device.type == "cpu" and dtype == torch.float32):
        return None
    return (f"long examples' attention keeps up to {PROBS_BUDGET >> 20:,} MB of probabilities a row for backward "
            "(TAILOR_ATTENTION_PROBS_MB=N to change it; 0 computes them again: less memory, slower steps)")


def _scale(query: torch.Tensor, scaling) -> float:
    """The softmax's scale: transformers' `scaling`, or 1 / sqrt(head width) where it gives none."""
    return scaling if scaling is not None else query.shape[-1] ** -0.5


def _blocked_probs_bytes(length: int, heads: int) -> int:
    """What `_BlockedAttention` keeps of one segment's probabilities, in fp32: each block of query places
    against the keys up to its end."""
    return 4 * heads * sum(min(BLOCK_PLACES, length - s) * min(length, s + BLOCK_PLACES)
                           for s in range(0, length, BLOCK_PLACES))


class _BlockedAttention(torch.autograd.Function):
    """Causal attention of one segment, BLOCK_PLACES query places at a time, each block against the keys
    up to its end only: products of (kv heads) x (places x query heads of a group) queries, as the grouped
    math path stacks them, the causal mask added to the block's own keys, softmax; no key or value
    repeated per query head. Backward takes each block's probabilities as kept (`keep`) or computes
    them again, then dV, dP, the softmax's backward, dQ and dK by products, dK and dV accumulated into
    the keys' prefix. The softmax's scale is applied to the queries once (not to every block's scores)
    and to dQ at the end. Outputs equal SDPA's to fp32's rounding (engine/tests/test_packing.py)."""

    @staticmethod
    def forward(ctx, query, key, value, scale: float, keep: bool):
        _, heads, length, dim = query.shape
        kv_heads = key.shape[1]
        groups = heads // kv_heads
        # the queries by group (`_by_group`), scaled: the copy into that layout takes the scale along
        q = query.new_empty(kv_heads, length, groups, dim)
        torch.mul(_by_group(query, kv_heads), scale, out=q)
        q = q.view(kv_heads, length * groups, dim)
        k, v = key[0].contiguous(), value[0].contiguous()
        out = torch.empty_like(q)
        probs = []
        for s in range(0, length, BLOCK_PLACES):
            end = min(length, s + BLOCK_PLACES)
            p = _block_probs(q, k, s, end, groups)
            torch.bmm(p, v[:, :end], out=out[:, s * groups:end * groups])
            if keep:
                probs.append(p)
        ctx.save_for_backward(q, k, v, *probs)
        ctx.scale, ctx.groups = scale, groups
        # (1, heads, L, dim), a view of the places-first layout the projections take next
        return out.view(kv_heads, length, groups, dim).transpose(0, 1).reshape(1, length, heads, dim).transpose(1, 2)

    @staticmethod
    def backward(ctx, grad):
        q, k, v, *probs = ctx.saved_tensors
        scale, groups = ctx.scale, ctx.groups
        kv_heads, rows, dim = q.shape
        length = rows // groups
        g = _by_group(grad, kv_heads).reshape(kv_heads, rows, dim)
        grad_q, grad_k, grad_v = torch.empty_like(q), torch.zeros_like(k), torch.zeros_like(v)
        for i, s in enumerate(range(0, length, BLOCK_PLACES)):
            end = min(length, s + BLOCK_PLACES)
            p = probs[i] if probs else _block_probs(q, k, s, end, groups)
            block = slice(s * groups, end * groups)
            g_block = g[:, block]
            grad_v[:, :end].baddbmm_(p.transpose(1, 2), g_block)
            grad_s = torch._softmax_backward_data(torch.bmm(g_block, v[:, :end].transpose(1, 2)), p, -1, p.dtype)
            torch.bmm(grad_s, k[:, :end], out=grad_q[:, block])
            grad_k[:, :end].baddbmm_(grad_s.transpose(1, 2), q[:, block])  # q holds the scale
        grad_q.mul_(scale)
        grad_query = grad_q.view(kv_heads, length, groups, dim).transpose(1, 2).reshape(1, kv_heads * groups, length, dim)
        return grad_query, grad_k[None], grad_v[None], None, None


def _by_group(t: torch.Tensor, kv_heads: int) -> torch.Tensor:
    """A (1, heads, L, dim) tensor seen as (kv heads, places, query heads of the group, dim): a key/value
    head's queries (or their gradients), place by place, as `_BlockedAttention` stacks them."""
    _, heads, length, dim = t.shape
    return t[0].reshape(kv_heads, heads // kv_heads, length, dim).transpose(1, 2)


def _block_probs(q, k, start: int, end: int, groups: int) -> torch.Tensor:
    """Softmax probabilities of query places start..end (all heads of each key/value head; queries
    scaled) over keys 0..end."""
    scores = torch.bmm(q[:, start * groups:end * groups], k[:, :end].transpose(1, 2))
    scores[:, :, start:].add_(_causal_bias_by_place(end - start, groups, scores.dtype, scores.device))
    return torch._softmax(scores, -1, False)


def _segment_attention(query, key, value, dropout_p: float, scaling, keep_probs: bool = False):
    """Causal attention of one segment: (1, heads, L, d) queries, (1, kv_heads, L, d) keys and values."""
    if query.device.type == "cpu" and query.shape[2] < MATH_BELOW[_compute_dtype(query)]:
        return _grouped_math_attention(query, key, value, dropout_p, scaling)
    if _blocked(query, key, dropout_p):
        return _BlockedAttention.apply(query, key, value, _scale(query, scaling), keep_probs)
    groups = query.shape[1] // key.shape[1]
    if groups > 1:  # grouped-query attention: one key/value head serves `groups` query heads
        key, value = key.repeat_interleave(groups, dim=1), value.repeat_interleave(groups, dim=1)
    return F.scaled_dot_product_attention(query, key, value, dropout_p=dropout_p, is_causal=True, scale=scaling)


def _blocked(query, key, dropout_p: float) -> bool:
    """Whether a segment of these queries attends through `_BlockedAttention`: training on the CPU in fp32."""
    return (BLOCKED_ATTENTION and not dropout_p and query.device.type == "cpu" and query.requires_grad
            and _compute_dtype(query) == query.dtype == key.dtype == torch.float32
            and query.shape[1] % key.shape[1] == 0)


# A packed row whose segments all take the grouped math path (each under MATH_BELOW, no attention
# dropout) attends through one autograd function, `_PackedMathAttention`, instead of a graph of about
# a dozen nodes a segment. TAILOR_PACKED_MATH=0: segment by segment.
PACKED_MATH = os.environ.get("TAILOR_PACKED_MATH", "1") != "0"


@functools.lru_cache(maxsize=64)
def _causal_bias_by_place(length: int, groups: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """(length x groups, length): row r is the query at place r // groups (a key/value head's query heads
    taken place by place), 0 for the keys it may see and -inf for those after it."""
    return torch.full((length, length), float("-inf"), dtype=dtype, device=device).triu(1).repeat_interleave(groups, 0)


class _Segments(NamedTuple):
    """Where a packed row's segments go in `_PackedMathAttention`'s buffers: each segment a block of rows
    of `dim` elements, (kv heads, places, query heads of a group) for the queries and (kv heads,
    places) for keys and values, places rounded up to the multiple; gathers from a row laid out
    heads first (heads, n) or places first (n, heads), and scatters back to places first."""
    blocks: list  # (first query row, first key row, rows, length) per segment
    query_gather: dict  # heads first (True) or not: the query row each buffer row takes
    kv_gather: dict
    query_scatter: torch.Tensor  # for each (place, head) of the row, its buffer row
    kv_scatter: torch.Tensor


@functools.lru_cache(maxsize=16)
def _segments(lengths: tuple, multiple: int, kv_heads: int, groups: int, device: torch.device) -> _Segments:
    n, heads = sum(lengths), kv_heads * groups
    blocks, qg, kg, qs, ks = [], {True: [], False: []}, {True: [], False: []}, [], []
    start = q_row = k_row = 0
    h = torch.arange(kv_heads, device=device)[:, None, None]
    g = torch.arange(groups, device=device)[None, None, :]
    for length in lengths:
        rows = length + -length % multiple
        place = torch.arange(rows, device=device)[None, :, None]
        real = torch.where(place < length, start + place, start)  # extra places read the first (never seen)
        qg[True].append((h * groups + g) * n + real)
        qg[False].append(real * heads + h * groups + g)
        kg[True].append(h[..., 0] * n + real[..., 0])
        kg[False].append(real[..., 0] * kv_heads + h[..., 0])
        # each of the segment's (place, head) in places-first order: its row in the buffers
        own = torch.arange(length, device=device)[:, None, None]
        qs.append(q_row + (h.view(1, -1, 1) * rows + own) * groups + g.view(1, 1, -1))
        ks.append(k_row + h.view(1, -1) * rows + own[..., 0])
        blocks.append((q_row, k_row, rows, length))
        start, q_row, k_row = start + length, q_row + kv_heads * rows * groups, k_row + kv_heads * rows
    flat = lambda parts: torch.cat([t.reshape(-1) for t in parts])  # noqa: E731
    return _Segments(blocks, {f: flat(qg[f]) for f in qg}, {f: flat(kg[f]) for f in kg}, flat(qs), flat(ks))


def _as_rows(t: torch.Tensor) -> tuple[torch.Tensor, bool]:
    """A (1, heads, n, dim) tensor as rows of `dim` elements, and whether heads come first in them."""
    t = t[0]
    if t.is_contiguous():
        return t.view(-1, t.shape[-1]), True
    return t.transpose(0, 1).reshape(-1, t.shape[-1]), False


class _PackedMathAttention(torch.autograd.Function):
    """Causal attention within each segment of a packed row, every segment by the grouped math path's
    products and softmax (`_grouped_math_attention`), as one autograd function.

    Queries, keys and values are gathered once each (`index_select`, `_segments`) into buffers where
    each segment is a contiguous block, its queries in (key/value head, place, query head of its group)
    order, so that every product reads and writes whole blocks (oneDNN copies any operand that is not
    one before a bf16 product); outputs and gradients go back with one gather each. No per-segment
    copies, concatenations or slices of the row, forward or backward; the softmax's scale rides in the
    products (their alpha) instead of a pass over each gradient. In bf16 a segment attends as a
    multiple of `multiple` tokens (SEGMENT_MULTIPLE, so that oneDNN's products repeat): its extra
    places read its first token's query, key and value, which no real query sees (causal), and their
    probabilities are set to 0, so nothing of theirs reaches a gradient. The same products, softmax
    and dtypes as segment by segment: the same outputs, and the gradients to the dtype's rounding."""

    @staticmethod
    def forward(ctx, query, key, value, lengths: tuple, scale: float, multiple: int):
        _, heads, n, dim = query.shape
        kv_heads = key.shape[1]
        groups = heads // kv_heads
        dtype = _compute_dtype(query)
        where = _segments(lengths, multiple, kv_heads, groups, query.device)
        (q, q_first), (k, k_first), (v, v_first) = _as_rows(query), _as_rows(key), _as_rows(value)
        q = q.index_select(0, where.query_gather[q_first]).to(dtype)
        k = k.index_select(0, where.kv_gather[k_first]).to(dtype)
        v = v.index_select(0, where.kv_gather[v_first]).to(dtype)
        out = torch.empty_like(q)
        probs = []
        for q_row, k_row, rows, length in where.blocks:
            qs = slice(q_row, q_row + kv_heads * rows * groups)
            ks = slice(k_row, k_row + kv_heads * rows)
            scores = torch.baddbmm(_causal_bias_by_place(rows, groups, dtype, q.device),
                                   q[qs].view(kv_heads, rows * groups, dim),
                                   k[ks].view(kv_heads, rows, dim).transpose(1, 2), alpha=scale)
            p = scores.softmax(-1)
            if rows > length:
                p[:, length * groups:] = 0
            torch.bmm(p, v[ks].view(kv_heads, rows, dim), out=out[qs].view(kv_heads, rows * groups, dim))
            probs.append(p)
        ctx.save_for_backward(q, k, v, *probs)
        ctx.where, ctx.scale, ctx.shape = where, scale, (n, heads, kv_heads, dim)
        return out.index_select(0, where.query_scatter).view(1, n, heads, dim)

    @staticmethod
    def backward(ctx, grad):
        q, k, v, *probs = ctx.saved_tensors
        where, (n, heads, kv_heads, dim) = ctx.where, ctx.shape
        groups = heads // kv_heads
        g = grad[0].reshape(n * heads, dim).index_select(0, where.query_gather[False]).to(q.dtype)
        grad_q, grad_k, grad_v = torch.empty_like(q), torch.empty_like(k), torch.empty_like(v)
        for (q_row, k_row, rows, _), p in zip(where.blocks, probs):
            qs = slice(q_row, q_row + kv_heads * rows * groups)
            ks = slice(k_row, k_row + kv_heads * rows)
            g_rows = g[qs].view(kv_heads, rows * groups, dim)
            torch.bmm(p.transpose(1, 2), g_rows, out=grad_v[ks].view(kv_heads, rows, dim))
            # the scores' gradient, scaled: the softmax's backward is linear in its incoming gradient
            grad_p = torch.baddbmm(p, g_rows, v[ks].view(kv_heads, rows, dim).transpose(1, 2), beta=0, alpha=ctx.scale)
            grad_s = torch._softmax_backward_data(grad_p, p, -1, p.dtype)
            torch.bmm(grad_s, k[ks].view(kv_heads, rows, dim), out=grad_q[qs].view(kv_heads, rows * groups, dim))
            torch.bmm(grad_s.transpose(1, 2), q[qs].view(kv_heads, rows * groups, dim),
                      out=grad_k[ks].view(kv_heads, rows, dim))
        # laid out as the projections' outputs are: (place, head, dim)
        grad_query = grad_q.index_select(0, where.query_scatter).view(n, heads, dim).transpose(0, 1)
        grad_key, grad_value = (t.index_select(0, where.kv_scatter).view(n, kv_heads, dim).transpose(0, 1)
                                for t in (grad_k, grad_v))
        return grad_query[None], grad_key[None], grad_value[None], None, None, None


def packed_attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0, **kwargs):
    """transformers attention function (registered as `tailor_packed`). With `cu_seq_lens_q` (a packed
    row of batch size 1), causal attention within each segment; otherwise exactly transformers' SDPA."""
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    cu_seqlens = kwargs.get("cu_seq_lens_q")
    if cu_seqlens is None or query.shape[0] != 1 or key.shape[2] != query.shape[2]:
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout,
                                      scaling=scaling, **kwargs)
    flash = _varlen_flash(query, key, value, cu_seqlens, int(kwargs.get("max_length_q") or query.shape[2]), scaling)
    if flash is not None:
        return flash, None
    p = dropout if module.training else 0.0
    bounds = cu_seqlens.tolist()
    lengths = [e - s for s, e in zip(bounds[:-1], bounds[1:])]
    dtype = _compute_dtype(query)
    if (PACKED_MATH and not p and query.device.type == "cpu" and query.shape[1] % key.shape[1] == 0
            and sum(lengths) == query.shape[2] and 0 < max(lengths) < MATH_BELOW[dtype]):
        multiple = SEGMENT_MULTIPLE if _one_dnn(query.device, dtype) else 1
        return _PackedMathAttention.apply(query, key, value, tuple(x for x in lengths if x), _scale(query, scaling),
                                          multiple), None
    keep = _kept_probs(module, query, key, lengths, p)
    # split, not sliced: a slice's gradient is a zero tensor of the whole row, one per segment and input
    parts = [_segment_attention(q, k, v, p, scaling, keep_probs=i in keep)
             for i, (q, k, v) in enumerate(zip(*(t.split(lengths, dim=2) for t in (query, key, value)))) if q.shape[2]]
    out = parts[0] if len(parts) == 1 else torch.cat(parts, dim=2)
    return out.transpose(1, 2).contiguous(), None


def _kept_probs(module, query, key, lengths: list, dropout_p: float) -> set:
    """Which segments of a packed row keep their blocks' probabilities for backward: the shortest first,
    while the row's share of PROBS_BUDGET for one layer lasts (the budget over every decoder layer)."""
    if not _blocked(query, key, dropout_p):
        return set()
    config = getattr(module, "config", None)
    share = PROBS_BUDGET // max(1, getattr(config, "num_hidden_layers", 1) or 1)
    keep, used = set(), 0
    for i in sorted(range(len(lengths)), key=lambda i: lengths[i]):
        if lengths[i] < MATH_BELOW[torch.float32]:
            continue
        size = _blocked_probs_bytes(lengths[i], query.shape[1])
        if used + size > share:
            break
        keep.add(i)
        used += size
    return keep


def use_packed_attention(model) -> None:
    """Switches a transformers model to packed attention (padded batches still get plain SDPA)."""
    from transformers import AttentionInterface
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, sdpa_mask

    AttentionInterface.register(PACKED, packed_attention)
    ALL_MASK_ATTENTION_FUNCTIONS.register(PACKED, sdpa_mask)
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    base.set_attn_implementation(PACKED)


def compile_mlps(model) -> int:
    """With TAILOR_COMPILE=1: torch.compile (dynamic shapes) each decoder layer's MLP, in place, so the
    saved adapter's names do not change; returns how many were compiled. Opt-in: on a 2-core CPU it
    made packed LoRA steps of SmolLM2-135M about 5% faster after a one-off ~20 s compile, so it pays
    only on jobs of more than several minutes; whole layers were faster still between recompiles, but
    recompiled whenever a row held a new number of examples (bench/README.md)."""
    if os.environ.get("TAILOR_COMPILE") != "1":
        return 0
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    mlps = [m for name, m in base.named_modules() if name.endswith(".mlp")]
    for m in mlps:
        m.compile(dynamic=True)
    return len(mlps)


class _RMSNorm(torch.autograd.Function):
    """transformers' LlamaRMSNorm for a frozen weight: the same forward, op for op (x in fp32 times the
    inverse RMS, rounded to x's dtype, times the weight), saving x and the inverse RMS instead of fp32
    copies of x, and a closed-form backward for x alone (fp32 inside): 1.0-1.2 against 1.4-1.6 ms a norm,
    fwd + bwd, for a short step's 896 x 576 in bf16 (two norms a block)."""

    @staticmethod
    def forward(ctx, x, weight, eps: float):
        xf = x.float()
        inverse = torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)
        ctx.save_for_backward(x, weight, inverse)
        # in place only on a copy: an fp32 x is its own float()
        return weight * (xf * inverse if xf is x else xf.mul_(inverse)).to(x.dtype)

    @staticmethod
    def backward(ctx, g):
        x, weight, inverse = ctx.saved_tensors
        gw = (g * weight).float()
        xf = x.float()
        # d/dx of w * x * r(x), r = (mean x^2 + eps)^-1/2: r * g w - x * r^3 / n * sum(g w x)
        coefficient = (gw * xf).sum(-1, keepdim=True).mul_(inverse.pow(3)).div_(-x.shape[-1])
        return gw.mul_(inverse).addcmul_(xf, coefficient).to(x.dtype), None, None


def _has_code_of(module, reference) -> bool:
    """Whether `module`'s class computes forward with `reference.forward`'s code (the same bytecode and
    names: transformers' "Copied from" classes, such as Qwen2's and Mistral's copies of Llama's)."""
    forward, want = getattr(type(module).forward, "__code__", None), reference.forward.__code__
    return forward is not None and forward.co_code == want.co_code and forward.co_names == want.co_names


def _rms_norm_forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
    if self.weight.requires_grad:
        return type(self).forward(self, hidden_states)
    return _RMSNorm.apply(hidden_states, self.weight, self.variance_epsilon)


def lighter_rms_norms(model) -> int:
    """Each RMSNorm whose code is transformers' LlamaRMSNorm's (Qwen2's, Mistral's and others are copies)
    computes through `_RMSNorm` while its weight is frozen; returns how many. TAILOR_FUSED_LORA=0 leaves
    them as they are (round 1)."""
    if os.environ.get("TAILOR_FUSED_LORA") == "0":
        return 0
    from transformers.models.llama.modeling_llama import LlamaRMSNorm

    count = 0
    for module in model.modules():
        if _has_code_of(module, LlamaRMSNorm) and hasattr(module, "variance_epsilon"):
            module.forward = types.MethodType(_rms_norm_forward, module)
            count += 1
    return count


def fuse_lora(model, regroup: bool = True) -> int:
    """Unless TAILOR_FUSED_LORA=0: each LoRA linear layer computes base + scale * B(A(x)) as two matmuls:
    x A^T, then [x | x A^T] against the frozen weight with scale * B beside it (`_BesideB`), one product
    for the base's output and the low-rank one, instead of PEFT's separate scaling, addition and input
    cast, each a pass over the layer's whole output. The output is rounded to bf16 once, with the
    low-rank product inside the sum, so an update smaller than half a bf16 step of the base's output is
    not lost (PEFT's layers round the base's output first, and bf16 training lagged fp32's loss curve).
    Backward gets x's gradient through W and A's path's through B from one matmul too; the frozen
    weight gets no gradient. LoRA dropout (0.05 in a user's job by default) masks the low-rank path's
    input as PEFT's does, its bits drawn and applied faster (`drop_bits`, `_Dropped`). Returns how many
    layers were fused; layers with several or no active adapters, DoRA or other variants keep PEFT's
    own forward. About 5% faster steps on the CPU (bench/README.md); the outputs and gradients are
    PEFT's to float rounding, given the same dropout masks (engine/tests/test_speed.py).

    The frozen weights move into those tensors, each layer's weight a view of one, only with `regroup`:
    not where the base is sharded (each process would keep the whole tensors beside its shards), nor
    under TAILOR_COMPILE. Without it each layer adds its low-rank product into the base's output with an
    `addmm` (two roundings, PEFT's numerics, the rest as above).

    With `regroup` and not TAILOR_FUSED_LORA=layers, the layers that read the same input (a block's q,
    k and v projections; its gate and up projections) compute together: one matmul over their A
    matrices stacked, and one over their frozen weights, one after another in one tensor, with their B
    matrices block-diagonal beside them. The first of them called computes all, the others take their
    part (`_SiblingGroup`). A Llama-style MLP whose gate and up projections are such a group takes their
    output whole into its SwiGLU (`_SwiGLU`)."""
    if os.environ.get("TAILOR_FUSED_LORA") == "0":
        return 0
    from peft.tuners.lora.layer import Linear as LoraLinear

    fused = 0
    for module in model.modules():
        if type(module) is LoraLinear and isinstance(module.get_base_layer(), torch.nn.Linear):
            module.forward = types.MethodType(_fused_lora_forward, module)
            fused += 1
    if not regroup:
        return fused
    if os.environ.get("TAILOR_FUSED_LORA") != "layers":
        for parent in model.modules():
            for names in SIBLINGS:
                members = [getattr(parent, n, None) for n in names]
                if all(type(m) is LoraLinear and m.forward.__func__ is _fused_lora_forward for m in members):
                    group = _SiblingGroup(members)
                    sizes = getattr(group, "sizes", None)  # none where the members could not be grouped
                    # an MLP whose forward was replaced already (Liger's SwiGLU on CUDA) keeps it
                    if (names == ("gate_proj", "up_proj") and sizes and sizes[0] == sizes[-1]
                            and "forward" not in vars(parent) and _is_swiglu_mlp(parent)):
                        parent.forward = types.MethodType(functools.partial(_swiglu_mlp_forward, group=group),
                                                          parent)
    for module in model.modules():  # the layers outside a group
        if getattr(getattr(module, "forward", None), "__func__", None) is _fused_lora_forward:
            module.tailor_beside = _beside([module])
    _off_the_file(model)
    return fused


def _file_ranges() -> list[tuple[int, int]]:
    """The address ranges this process has mapped from files (/proc/self/maps; none where there is none)."""
    try:
        with open("/proc/self/maps") as maps:
            lines = maps.read().splitlines()
    except OSError:
        return []
    ranges = []
    for line in lines:
        fields = line.split(maxsplit=5)
        if len(fields) == 6 and fields[4] != "0" and fields[5].startswith("/"):  # an inode: a file
            low, high = fields[0].split("-")
            ranges.append((int(low, 16), int(high, 16)))
    return ranges


def _off_the_file(model) -> None:
    """Gives the model's tensors that lie in a mapped file memory of their own.

    safetensors loads a checkpoint's weights without a copy where their dtype is kept (fp32 training):
    each is a view of the file's mapping, whose pages stay resident while any of them lives. Once the
    fused layers' weights have been copied beside their B matrices (`_beside`), the embeddings and the
    norms kept the whole mapping alive, with the pages of the copied weights: about 400 MB of SmolLM2's
    file beside its copies. Copying the few tensors left lets the mapping go."""
    ranges = _file_ranges()
    for tensor in [*model.parameters(), *model.buffers()]:
        where = tensor.data_ptr()
        if tensor.device.type == "cpu" and any(low <= where < high for low, high in ranges):
            tensor.data = tensor.data.clone()


# Projections of one block that read the same input, by their names in Llama-style models
SIBLINGS = (("q_proj", "k_proj", "v_proj"), ("gate_proj", "up_proj"))


class _SiblingGroup:
    """LoRA layers called one after another on the same input. Their frozen weights (and biases) are
    concatenated once into one tensor, each layer's weight becoming a view of its rows (`_beside`); the
    first call computes every member's output in two matmuls and keeps the others' parts (split, so
    that their gradients come back in one concatenation) until each member takes its own. A member called on
    another input, or when the group cannot run fused (an adapter switched off, merged, several
    adapters, different bias kinds), computes alone. With dropout each member masks its own copy of the
    input for its A matrix, in the members' order, as PEFT's layers called one after another would."""

    def __init__(self, members: list):
        self.members = members
        bases = [m.base_layer for m in members]
        has_bias = {b.bias is not None for b in bases}
        in_features = {b.in_features for b in bases}
        dtypes = {b.weight.dtype for b in bases}
        if len(has_bias) != 1 or len(in_features) != 1 or len(dtypes) != 1:
            return
        self.sizes = [b.out_features for b in bases]
        self.beside = _beside(members)
        self.weight = self.beside[:, :bases[0].in_features]
        with torch.no_grad():
            self.bias = torch.cat([b.bias for b in bases]) if bases[0].bias is not None else None
        if self.bias is not None:
            for b, bias in zip(bases, self.bias.split(self.sizes)):
                b.bias = torch.nn.Parameter(bias, requires_grad=False)
        self.input = None
        self.pending: dict[int, torch.Tensor] = {}
        for i, m in enumerate(members):
            m.forward = types.MethodType(functools.partial(_sibling_forward, group=self, index=i), m)

    def run(self, x: torch.Tensor):
        """Every member's output for `x`, or None where the group cannot run fused (also where the
        members' weights no longer view the concatenated one, e.g. after the model was moved)."""
        out = self.whole(x)
        return None if out is None else list(out.split(self.sizes, dim=-1))

    def whole(self, x: torch.Tensor):
        """The members' outputs for `x` side by side in one tensor (`sizes` wide each), or None as `run`."""
        if self.members[0].base_layer.weight.data_ptr() != self.weight.data_ptr():
            return None
        names = [m.active_adapters[0] if len(m.active_adapters) == 1 else None for m in self.members]
        if not all(_can_fuse(m, x, n) for m, n in zip(self.members, names)):
            return None
        scale = self.members[0].scaling[names[0]]
        if any(m.scaling[n] != scale for m, n in zip(self.members, names)):
            return None
        flat = x.reshape(-1, x.shape[-1])
        # each member its own mask, drawn in the members' order (q, k, v), as PEFT's layers would
        low, keep_scale = _masked_low(flat, [m.lora_dropout[n] for m, n in zip(self.members, names)],
                                      [m.lora_A[n].weight for m, n in zip(self.members, names)])
        b = torch.block_diag(*[m.lora_B[n].weight for m, n in zip(self.members, names)])
        out = _base_plus_low_rank(flat, self.beside, self.weight, self.bias, low, b, scale * keep_scale)
        return out.view(*x.shape[:-1], out.shape[-1])


class _SwiGLU(torch.autograd.Function):
    """silu(gate) * up for gate and up side by side in one tensor (a gate/up sibling group's output),
    with the gradient written into one tensor of that width: autograd's, op for op, to the bit, less
    the concatenation of the two halves' gradients, a pass over the group's whole output (0.35 of 2.55
    ms a block, fwd + bwd, for a short step's 896 x 3,072 in bf16)."""

    @staticmethod
    def forward(ctx, both, width: int):
        gate, up = both[..., :width], both[..., width:]
        silu = F.silu(gate)
        ctx.width = width
        ctx.save_for_backward(both, silu)
        return silu * up

    @staticmethod
    def backward(ctx, g):
        both, silu = ctx.saved_tensors
        width = ctx.width
        grad = g.new_empty(both.shape)
        torch.mul(g, silu, out=grad[..., width:])
        torch.ops.aten.silu_backward.grad_input(g * both[..., width:], both[..., :width],
                                               grad_input=grad[..., :width])
        return grad, None


def _swiglu_mlp_forward(self, x: torch.Tensor, group: _SiblingGroup) -> torch.Tensor:
    both = group.whole(x)
    if both is None:
        return type(self).forward(self, x)
    return self.down_proj(_SwiGLU.apply(both, group.sizes[0]))


def _is_swiglu_mlp(module) -> bool:
    """Whether `module` computes down_proj(silu(gate_proj(x)) * up_proj(x)) as transformers' LlamaMLP does
    (the same code: Qwen2's, Mistral's and others are copies of it)."""
    from transformers.models.llama.modeling_llama import LlamaMLP

    return (_has_code_of(module, LlamaMLP)
            and type(getattr(module, "act_fn", None)).__name__ in ("SiLU", "SiLUActivation"))


def _beside(layers: list) -> torch.Tensor:
    """(outputs, inputs + rank) for LoRA layers that read the same input: their frozen weights one after
    another, each layer's weight becoming a view of its rows, and beside them room for their B matrices
    (`_BesideB`), rank being that of each one's active adapter."""
    bases = [m.base_layer for m in layers]
    rank = sum(m.lora_A[m.active_adapters[0]].weight.shape[0] for m in layers if len(m.active_adapters) == 1)
    first = bases[0].weight
    with torch.no_grad():
        beside = torch.empty(sum(b.out_features for b in bases), bases[0].in_features + rank, dtype=first.dtype,
                             device=first.device)
        weight = beside[:, :bases[0].in_features]
        weight.copy_(torch.cat([b.weight for b in bases]) if len(bases) > 1 else first)
    for b, w in zip(bases, weight.split([b.out_features for b in bases])):
        b.weight = torch.nn.Parameter(w, requires_grad=False)
    return beside


def _base_plus_low_rank(flat, beside, weight, bias, low, b, scale: float) -> torch.Tensor:
    """flat @ weight.T + scale * low @ b.T (+ bias): one matmul through `beside` (`_BesideB`) where it
    holds `weight` (not replaced since) and room for `b` and the dtypes agree; otherwise the base's
    matmul, then an addmm."""
    if (beside is not None and beside.data_ptr() == weight.data_ptr()
            and low.shape[1] == beside.shape[1] - flat.shape[1]
            and _compute_dtype(flat) == flat.dtype == low.dtype == weight.dtype):
        return _BesideB.apply(flat, low, (b * scale).to(flat.dtype), beside, bias)
    return torch.addmm(F.linear(flat, weight, bias), low, b.t(), alpha=scale)


# A frozen layer's products in blocks of rows: on the project's machine (2 cores, AMX) oneDNN runs a
# product with fewer than about 960 output columns on one thread from about 500 rows on, and on both
# below; which row counts use both threads shifts with every shape. So where rows are a multiple of
# ROW_MULTIPLE long (training, whose shapes repeat), a product of at least MIN_BLOCKED_ROWS rows is
# computed whole, in 2 and in 3 blocks on its first calls (one a layer), each way timed on its second
# call (the first may create oneDNN's matmuls), and from then on as was fastest, one choice for each
# kind of product and each 256 rows (bench/README.md). No work is done twice. TAILOR_ROW_BLOCKS=0, or
# TAILOR_ROW_MULTIPLE=1 (shapes that do not repeat, each way's products created anew): whole.
# The loss's output-gradient product (probs @ W, 576 outputs, inner size the vocabulary) goes to one
# thread from about 384 rows, so it takes blocks from HEAD_MIN_BLOCKED_ROWS.
ROW_BLOCKS = os.environ.get("TAILOR_ROW_BLOCKS", "1") != "0"
MIN_BLOCKED_ROWS = 512
HEAD_MIN_BLOCKED_ROWS = 256
_BLOCKS: dict[tuple, "_BlockChoice"] = {}  # by (rows // 256, inner, outputs, the weight's strides)


class _BlockChoice:
    """How one shape of product is computed: in how many blocks of rows, once its trials are over."""

    WAYS = (1, 2, 3)  # blocks

    def __init__(self):
        self.seconds: list[float] = []
        self.calls = 0
        self.blocks: int | None = None

    def __call__(self, a: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        if self.blocks is not None:
            return _in_blocks(a, w, self.blocks)
        way, timed = divmod(self.calls, 2)
        self.calls += 1
        started = time.perf_counter()
        out = _in_blocks(a, w, self.WAYS[way])
        if timed:
            self.seconds.append(time.perf_counter() - started)
            if len(self.seconds) == len(self.WAYS):
                self.blocks = self.WAYS[self.seconds.index(min(self.seconds))]
        return out


def _in_blocks(a: torch.Tensor, w: torch.Tensor, blocks: int) -> torch.Tensor:
    """a @ w in `blocks` blocks of rows, each a multiple of 32 rows but the last."""
    if blocks == 1:
        return a @ w
    size = -(-a.shape[0] // blocks // 32) * 32
    out = a.new_empty(a.shape[0], w.shape[1])
    for s in range(0, a.shape[0], size):
        torch.mm(a[s:s + size], w, out=out[s:s + size])
    return out


def _rows_mm(a: torch.Tensor, w: torch.Tensor, min_rows: int = MIN_BLOCKED_ROWS) -> torch.Tensor:
    """a @ w, in blocks of rows where that was measured faster for this shape (`ROW_BLOCKS`)."""
    rows = a.shape[0]
    if (not ROW_BLOCKS or ROW_MULTIPLE == 1 or rows < min_rows or rows % ROW_MULTIPLE
            or not _one_dnn(a.device, a.dtype)):
        return a @ w
    key = (rows // 256, a.shape[1], w.shape[1], w.stride())  # one choice for rows of about the same count
    choice = _BLOCKS.get(key)
    if choice is None:
        choice = _BLOCKS[key] = _BlockChoice()
    return choice(a, w)


class _BesideB(torch.autograd.Function):
    """x @ W.T + low @ B.T (+ bias) for a frozen W, as one matmul: [x | low] against `beside`, which holds
    W in its first columns and takes B into the rest. The low-rank product then costs no pass of its own
    over the output, and backward gets x's gradient through W and low's through B from one matmul
    (g @ beside) as well; W gets none. `beside.tailor_b` is the B last written into it: backward writes
    its forward's B again only where another has been written since (another forward of the layer)."""

    @staticmethod
    def forward(ctx, x, low, b, beside, bias):
        inputs = x.shape[1]
        beside[:, inputs:] = b
        beside.tailor_b = b
        both = torch.cat([x, low], 1)
        ctx.beside = beside
        ctx.save_for_backward(low, b)
        return _rows_mm(both, beside.t()) if bias is None else torch.addmm(bias, both, beside.t())

    @staticmethod
    def backward(ctx, g):
        low, b = ctx.saved_tensors
        beside = ctx.beside
        inputs = beside.shape[1] - low.shape[1]
        grad_x = grad_low = None
        if ctx.needs_input_grad[0]:
            if getattr(beside, "tailor_b", None) is not b:  # this forward's B, whatever ran since
                beside[:, inputs:] = b
                beside.tailor_b = b
            both = _rows_mm(g, beside)
            grad_x, grad_low = both[:, :inputs], both[:, inputs:]
        elif ctx.needs_input_grad[1]:
            grad_low = g @ b
        grad_b = g.t() @ low if ctx.needs_input_grad[2] else None
        grad_bias = g.sum(0) if ctx.needs_input_grad[4] else None
        return grad_x, grad_low, grad_b, None, grad_bias


def _sibling_forward(self, x: torch.Tensor, *args, group: _SiblingGroup, index: int, **kwargs) -> torch.Tensor:
    if not args and not kwargs:
        if group.input is x and index in group.pending:
            out = group.pending.pop(index)
            if not group.pending:
                group.input = None
            return out
        outs = group.run(x)
        if outs is not None:
            group.input = x
            group.pending = {i: o for i, o in enumerate(outs) if i != index}
            return outs[index]
    return _fused_lora_forward(self, x, *args, **kwargs)


def _can_fuse(self, x: torch.Tensor, name) -> bool:
    """Whether this LoRA layer's output is base + scale * B(A(x)) for its one active adapter `name`,
    computed in the dtype autocast or its weights give."""
    base = self.base_layer
    return not (self.disable_adapters or self.merged or name not in self.lora_A or name in self.lora_variant
                or not isinstance(self.lora_dropout[name], (torch.nn.Identity, torch.nn.Dropout))
                or (not torch.is_autocast_enabled(x.device.type)
                    and not x.dtype == base.weight.dtype == self.lora_A[name].weight.dtype))


def _no_dropout(module) -> bool:
    return isinstance(module, torch.nn.Identity) or not module.training or module.p == 0


# Where dropout's random bits come from on the CPU: numpy's SFC64 generator, seeded from torch's default
# generator at every mask (so torch.manual_seed and a checkpoint's RNG state still decide every mask),
# gives 64 random bits in about 1.5 ns against 3.7 for torch's randint (mt19937 and a 64-bit modulo),
# one thread either way (bench/README.md). TAILOR_SFC64_MASKS=0: torch's randint.
SFC64_MASKS = os.environ.get("TAILOR_SFC64_MASKS", "1") != "0"


def _random_words(count: int, device: torch.device) -> torch.Tensor:
    """`count` random 64-bit words (int64) on `device`."""
    if SFC64_MASKS and device.type == "cpu":
        seed = int(torch.randint(0, 2 ** 63 - 1, (1,)))
        return torch.from_numpy(np.random.SFC64(seed).random_raw(count).view(np.int64))
    return torch.randint(-2 ** 63, 2 ** 63 - 1, (count,), dtype=torch.int64, device=device)


def drop_bits(shape, device: torch.device) -> torch.Tensor:
    """16 random bits (int16) for each element of `shape`, four from each 64-bit word (`_random_words`)."""
    n = math.prod(shape)
    return _random_words((n + 3) // 4, device).view(torch.int16)[:n].view(shape)


def drop_threshold(p: float) -> int:
    """The int16 value below which `drop_bits` drops an element with probability `p` (exact to 1/65,536)."""
    return round(p * 65536) - 32768


def drop_mask(shape, p: float, device: torch.device) -> torch.Tensor:
    """True where dropout with probability `p` zeroes an element (`drop_bits` below `drop_threshold`).
    torch's CPU dropout draws a number for every element: 2.5x slower forward (1.8x with the backward),
    which at LoRA dropout 0.05 on all linear layers took over a third of a training step's time on a
    2-core CPU (bench/README.md)."""
    return drop_bits(shape, device) < drop_threshold(p)


class _Dropped(torch.autograd.Function):
    """x times 1 where `bits` keep an element (at or above `threshold`) and 0 where they drop it, as
    dropout before its 1 / (1 - p); the gradient the same. The 0/1 factor is made in x's dtype by the
    comparison itself (`ge` into a float tensor: 0.05 ms for 870 x 576, where a boolean mask is 0.1 ms
    and `masked_fill` with it another 0.22-0.24, forward and backward alike), and the bits are kept for
    backward (2 bytes an element) instead of the factor."""

    @staticmethod
    def forward(ctx, x, bits, threshold: int):
        ctx.threshold = threshold
        ctx.save_for_backward(bits)
        return torch.ge(bits, threshold, out=torch.empty_like(x, memory_format=torch.contiguous_format)).mul_(x)

    @staticmethod
    def backward(ctx, g):
        bits, = ctx.saved_tensors
        return torch.ge(bits, ctx.threshold, out=torch.empty_like(g, memory_format=torch.contiguous_format)).mul_(g), \
            None, None


def _lora_dropout(module, x: torch.Tensor) -> tuple[torch.Tensor, float]:
    """A LoRA layer's dropout of its input `x`: (x with the dropped elements zeroed, the factor for the
    rest, 1 / (1 - p), which the caller applies to the rank-sized product instead of to `x`). On the CPU
    the bits are `drop_bits`' and the zeros `_Dropped`'s; elsewhere the layer's own dropout, already scaled."""
    if _no_dropout(module):
        return x, 1.0
    if x.device.type != "cpu" or module.p >= 1 or module.inplace:
        return module(x), 1.0
    return _Dropped.apply(x, drop_bits(x.shape, x.device), drop_threshold(module.p)), 1 / (1 - module.p)


# Whether LoRA layers that read one input and drop with the same p mask and multiply it together
# (`_DroppedLow`) on the CPU; off, each through `_lora_dropout` and a product of its own (bench:paired).
MASKS_TOGETHER = True


class _DroppedLow(torch.autograd.Function):
    """x A^T for LoRA layers that read the same input x (n, in), each through its own dropout:
    [(x * keep_1) A_1^T | (x * keep_2) A_2^T | ...], keep_m 1 where member m's bits (`bits[m]`, int16)
    are at or above `threshold` and 0 elsewhere, `a` the members' A matrices one after another (equal
    ranks). Each member's masked input is made as `_Dropped` makes it, side by side in one tensor, and
    the members' products are one batched matmul, forward and backward; x's gradient is summed over
    the members in one tensor (`addcmul_`, the mask applied on the way) instead of each member's
    masked gradient being made and then added to the others'. Keeps the masked inputs (for A's
    gradient, as PEFT's layers keep their dropout's output) and the bits."""

    @staticmethod
    def forward(ctx, x, a, threshold: int, *bits):
        n, inputs = x.shape
        dtype = _compute_dtype(x)
        masked = torch.empty(len(bits), n, inputs, dtype=dtype, device=x.device)
        for m, b in zip(masked, bits):
            torch.ge(b, threshold, out=m).mul_(x)
        a = a.to(dtype).view(len(bits), -1, inputs)
        ctx.threshold = threshold
        ctx.save_for_backward(masked, a, *bits)
        return torch.bmm(masked, a.transpose(1, 2)).transpose(0, 1).reshape(n, -1)

    @staticmethod
    def backward(ctx, grad_low):
        masked, a, *bits = ctx.saved_tensors
        members, rank = a.shape[:2]
        g = grad_low.reshape(-1, members, rank).transpose(0, 1).to(masked.dtype)  # (members, n, rank)
        grad_x = grad_a = None
        if ctx.needs_input_grad[0]:
            through = torch.bmm(g, a)  # each member's gradient of its masked input
            keep = torch.empty_like(masked[0])
            for b, t in zip(bits, through):
                torch.ge(b, ctx.threshold, out=keep)
                grad_x = t.mul_(keep) if grad_x is None else grad_x.addcmul_(t, keep)
        if ctx.needs_input_grad[1]:
            grad_a = torch.bmm(g.transpose(1, 2), masked).view(members * rank, -1)
        return (grad_x, grad_a, None, *[None] * len(bits))


def _masked_low(flat: torch.Tensor, drops: list, weights: list) -> tuple[torch.Tensor, float]:
    """The low-rank paths' first product for LoRA layers reading `flat`, each through its dropout module
    (`drops`) and its A matrix (`weights`), side by side: (that product, the factor for the kept elements,
    1 / (1 - p), which the caller applies to the rank-sized products instead of to `flat`). Without
    dropout one product; on the CPU, where every member drops with the same p and has the same rank,
    `_DroppedLow` on `drop_bits`' bits (drawn member by member, in their order, as PEFT's layers would);
    otherwise each member through `_lora_dropout`."""
    if all(_no_dropout(d) for d in drops):
        return F.linear(flat, torch.cat(weights) if len(weights) > 1 else weights[0]), 1.0
    ps = {getattr(d, "p", None) for d in drops}
    if (MASKS_TOGETHER and flat.device.type == "cpu" and len(ps) == 1 and len({w.shape[0] for w in weights}) == 1
            and all(isinstance(d, torch.nn.Dropout) and not d.inplace and d.training and 0 < d.p < 1 for d in drops)):
        p = ps.pop()
        bits = [drop_bits(flat.shape, flat.device) for _ in drops]
        a = torch.cat(weights) if len(weights) > 1 else weights[0]
        return _DroppedLow.apply(flat, a, drop_threshold(p), *bits), 1 / (1 - p)
    if len(drops) == 1:
        masked, keep_scale = _lora_dropout(drops[0], flat)
        return F.linear(masked, weights[0]), keep_scale
    lows = []
    for d, w in zip(drops, weights):
        masked, keep_scale = _lora_dropout(d, flat)
        low = F.linear(masked, w)
        lows.append(low * keep_scale if keep_scale != 1 else low)  # rank-sized
    return torch.cat(lows, 1), 1.0


def _fused_lora_forward(self, x: torch.Tensor, *args, **kwargs) -> torch.Tensor:
    adapters = self.active_adapters
    name = adapters[0] if len(adapters) == 1 else None
    if args or kwargs or not _can_fuse(self, x, name):
        return type(self).forward(self, x, *args, **kwargs)
    base = self.base_layer
    flat = x.reshape(-1, x.shape[-1])
    # dropout on the low-rank path's input only, as in PEFT's forward
    low, keep_scale = _masked_low(flat, [self.lora_dropout[name]], [self.lora_A[name].weight])
    out = _base_plus_low_rank(flat, getattr(self, "tailor_beside", None), base.weight, base.bias, low,
                              self.lora_B[name].weight, self.scaling[name] * keep_scale)
    return out.view(*x.shape[:-1], out.shape[-1])


def use_liger(model, device: torch.device) -> bool:
    """On CUDA with liger-kernel installed: Liger's RMSNorm, RoPE and SwiGLU in the model (its fused
    linear cross-entropy is used by `linear_cross_entropy`). Elsewhere, or when it fails, nothing."""
    if device.type != "cuda":
        return False
    try:
        from liger_kernel.transformers import _apply_liger_kernel_to_instance
    except ImportError:
        return False
    try:
        _apply_liger_kernel_to_instance(model=model, rope=True, rms_norm=True, swiglu=True,
                                        cross_entropy=False, fused_linear_cross_entropy=False)
    except Exception as e:  # noqa: BLE001 - an unsupported architecture trains without Liger
        from .emit import log

        log(f"Liger kernels not applied: {type(e).__name__}: {e}")
        return False
    return True


_LOSS_BUFFERS: dict = {}


def _loss_buffers(rows: int, vocab: int, dtype: torch.dtype, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """A chunk's logits (in `dtype`) and fp32 log-probabilities, in buffers kept from step to step: the
    largest tensors of a step, fresh ones cost more in page faults than the log-softmax itself. In fp32
    on the CPU both are one buffer: the log-softmax then runs in place on the logits (the same bits as
    into another tensor, a test checks), with no copy between them."""
    key = (vocab, dtype, device)
    have = _LOSS_BUFFERS.get(key)
    if have is None or have[0].shape[0] < rows:
        logits = torch.empty(rows, vocab, dtype=dtype, device=device)
        high = (logits if dtype == torch.float32 and device.type == "cpu"
                else torch.empty(rows, vocab, dtype=torch.float32, device=device))
        _LOSS_BUFFERS[key] = have = (logits, high)
    return have[0][:rows], have[1][:rows]


def free_loss_buffers() -> None:
    """Lets go of the loss's buffers (at the end of a training run; the next run makes new ones)."""
    _LOSS_BUFFERS.clear()


class _LinearCrossEntropy(torch.autograd.Function):
    """sum_i CE(hidden_i @ weight.T, target_i), chunk by chunk, gradients computed in the forward pass.

    Each chunk's logits go through one fp32 log-softmax, whose exponent is the softmax the gradient
    needs, in place, in buffers kept from call to call (`_loss_buffers`). The argmax hits are counted
    only without a gradient (an evaluation): a pass of argmax over a chunk's logits costs as much as
    the log-softmax."""

    @staticmethod
    def forward(ctx, hidden, weight, targets, want_grad: bool):
        loss = torch.zeros((), dtype=torch.float32, device=hidden.device)
        correct = None if want_grad else torch.zeros((), dtype=torch.long, device=hidden.device)
        grad_hidden = torch.empty_like(hidden) if want_grad and ctx.needs_input_grad[0] else None
        grad_weight = torch.zeros_like(weight, dtype=torch.float32) if want_grad and ctx.needs_input_grad[1] else None
        multiple = row_multiple(hidden.device, _compute_dtype(hidden))
        for s in range(0, hidden.shape[0], LOSS_CHUNK):
            h, y = hidden[s:s + LOSS_CHUNK], targets[s:s + LOSS_CHUNK]
            n = len(y)
            if fill := -n % multiple:  # zero rows, so that the matmuls' shapes repeat (ROW_MULTIPLE)
                h = torch.cat([h, h.new_zeros(fill, h.shape[1])])
            low, high = _loss_buffers(n + fill, weight.shape[0], hidden.dtype, hidden.device)
            # out= where no cast is due (autocast does not take out=)
            logits = torch.matmul(h, weight.T, out=low) if hidden.dtype == weight.dtype else h @ weight.T
            logits, high = logits[:n], high[:n]
            if correct is not None:
                correct += (logits.argmax(-1) == y).sum()
            # in place in the fp32 buffer: log_softmax(dtype=) would convert into a fresh tensor of the chunk
            # (in fp32 on the CPU `high` is `logits`' own buffer and the copy returns at once)
            log_probs = torch.log_softmax(high.copy_(logits), dim=-1, out=high)
            loss -= log_probs.gather(1, y[:, None]).sum()
            if grad_hidden is None and grad_weight is None:
                continue
            probs = log_probs.exp_()  # softmax, in place
            probs[torch.arange(n, device=y.device), y] -= 1.0  # d CE / d logits
            low[:n].copy_(probs)  # in the hidden states' dtype
            probs = low[:n + fill]
            probs[n:].zero_()  # the zero rows' gradient
            if grad_hidden is not None:
                grad_hidden[s:s + LOSS_CHUNK] = _rows_mm(probs, weight, HEAD_MIN_BLOCKED_ROWS)[:n]
            if grad_weight is not None:
                grad_weight += (probs.T @ h).float()
        ctx.weight_dtype = weight.dtype
        ctx.save_for_backward(grad_hidden, grad_weight)
        if correct is not None:
            ctx.mark_non_differentiable(correct)
        return loss, correct

    @staticmethod
    def backward(ctx, grad_loss, _grad_correct):
        grad_hidden, grad_weight = ctx.saved_tensors
        gh = grad_hidden * grad_loss.to(grad_hidden.dtype) if grad_hidden is not None else None
        gw = (grad_weight * grad_loss).to(ctx.weight_dtype) if grad_weight is not None else None
        return gh, gw, None, None


def _liger_loss(hidden, weight, targets):
    if not hidden.is_cuda:
        return None
    try:
        from liger_kernel.transformers.functional import liger_fused_linear_cross_entropy
    except ImportError:
        return None
    return liger_fused_linear_cross_entropy(hidden, weight, targets, reduction="sum")


def linear_cross_entropy(hidden: torch.Tensor, weight: torch.Tensor,
                         targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Summed cross-entropy of `hidden @ weight.T` against `targets` (positions, hidden) and the number
    of argmax hits, which is counted only where no gradient is taken (None in a training step)."""
    want_grad = torch.is_grad_enabled() and (hidden.requires_grad or weight.requires_grad)
    if want_grad:
        liger = _liger_loss(hidden, weight, targets)
        if liger is not None:
            return liger.float(), None
    return _LinearCrossEntropy.apply(hidden, weight, targets, want_grad)


# Outputs other than `hidden @ lm_head.T`: models with these get full logits from their own forward.
_LOGIT_TRANSFORMS = ("final_logit_softcapping", "logit_scale", "logits_scaling", "output_multiplier_scale")
_NOT_MODEL_INPUTS = ("labels", "target_index", "targets")


def _head_is_plain(base) -> bool:
    head = base.get_output_embeddings()
    return (head is not None and getattr(head, "bias", None) is None
            and all(getattr(base.config, a, None) in (None, 1, 1.0) for a in _LOGIT_TRANSFORMS))


def token_loss(model, batch: dict) -> tuple[torch.Tensor, torch.Tensor | None, int]:
    """Summed cross-entropy over the trained tokens, the number of correct predictions (counted where no
    gradient is taken, as in an evaluation; None in a training step), and the count.

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
        loss_sum = F.cross_entropy(logits, targets, reduction="sum")
        correct = None if torch.is_grad_enabled() else (logits.argmax(-1) == targets).sum()
    return loss_sum, correct, int(targets.numel())
