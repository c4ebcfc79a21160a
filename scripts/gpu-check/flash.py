"""Step `kernels`: the engine's CUDA kernels, each against its plain PyTorch reference, forward and
backward, at SmolLM2-135M's attention shape (9 query heads, 3 key/value heads, head size 64):

- varlen flash attention (`kernels._varlen_flash`, torch.nn.attention.varlen) over a packed row of
  several examples, against causal SDPA on each example alone in fp32. The engine falls back to the
  segment loop silently when the kernel cannot run; here that is a failure, with the kernel's error.
- Liger's fused linear cross-entropy (when liger-kernel is installed), against the engine's own
  chunked one (`_LinearCrossEntropy`): loss and both gradients."""

from lib import CPU, write_result

if CPU:  # said before importing torch: on a loaded CPU every import costs seconds
    write_result("kernels", "skipped", "CPU dry run: varlen flash attention and Liger are CUDA-only (the engine "
                 "uses its per-example attention loop and its own linear cross-entropy here)")
    raise SystemExit(0)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from tailor_engine import kernels  # noqa: E402


def reference_attention(q, k, v, bounds):
    groups = q.shape[1] // k.shape[1]
    k, v = k.repeat_interleave(groups, dim=1), v.repeat_interleave(groups, dim=1)
    parts = [F.scaled_dot_product_attention(q[:, :, s:e], k[:, :, s:e], v[:, :, s:e], is_causal=True)
             for s, e in zip(bounds, bounds[1:])]
    return torch.cat(parts, dim=2).transpose(1, 2)  # (1, T, heads, head_dim), as the kernel returns


def varlen_reason(q, k, v, cu, max_len) -> str:
    """Why `_varlen_flash` returned None: the kernel's own error."""
    try:
        from torch.nn.attention.varlen import varlen_attn
    except ImportError as e:
        return f"torch {torch.__version__} has no torch.nn.attention.varlen ({e})"
    try:
        varlen_attn(*(t[0].transpose(0, 1) for t in (q, k, v)), cu, cu, max_len, max_len, window_size=(-1, 0),
                    enable_gqa=True)
    except Exception as e:  # noqa: BLE001
        return f"varlen_attn failed: {type(e).__name__}: {str(e).splitlines()[0][:300]}"
    return "varlen_attn ran when called directly, but not through the engine's wrapper"


def check_varlen() -> dict:
    torch.manual_seed(0)
    lengths = [37, 100, 163, 211]
    bounds = [sum(lengths[:i]) for i in range(len(lengths) + 1)]
    total, dev = bounds[-1], torch.device("cuda")
    q = torch.randn(1, 9, total, 64, device=dev, dtype=torch.bfloat16, requires_grad=True)
    k = torch.randn(1, 3, total, 64, device=dev, dtype=torch.bfloat16, requires_grad=True)
    v = torch.randn(1, 3, total, 64, device=dev, dtype=torch.bfloat16, requires_grad=True)
    cu = torch.tensor(bounds, device=dev, dtype=torch.int32)
    out = kernels._varlen_flash(q, k, v, cu, max(lengths), 64 ** -0.5)
    if out is None:
        return {"ok": False, "why": varlen_reason(q, k, v, cu, max(lengths))}
    grad = torch.randn_like(out)
    (out * grad).sum().backward()
    got = [t.grad.float() for t in (q, k, v)]
    rq, rk, rv = (t.detach().float().requires_grad_() for t in (q, k, v))
    ref = reference_attention(rq, rk, rv, bounds)
    (ref * grad.float()).sum().backward()
    forward = float((out.float() - ref).abs().max())
    backward = max(float((g - r.grad).abs().max() / r.grad.abs().max()) for g, r in zip(got, (rq, rk, rv)))
    return {"ok": forward < 0.05 and backward < 0.05, "forward": forward, "backward": backward,
            "why": f"max difference from fp32 SDPA: output {forward:.4f}, gradients {backward:.4f} (relative); "
                   "bound 0.05 (bf16)"}


def check_liger() -> dict | None:
    try:
        import liger_kernel  # noqa: F401
    except ImportError:
        return None
    torch.manual_seed(0)
    dev = torch.device("cuda")
    hidden = torch.randn(700, 576, device=dev, dtype=torch.bfloat16, requires_grad=True)
    weight = (torch.randn(49152, 576, device=dev, dtype=torch.bfloat16) * 0.02).requires_grad_()
    targets = torch.randint(0, 49152, (700,), device=dev)
    liger = kernels._liger_loss(hidden, weight, targets)
    liger.backward()
    h2, w2 = hidden.detach().clone().requires_grad_(), weight.detach().clone().requires_grad_()
    own, _ = kernels._LinearCrossEntropy.apply(h2, w2, targets, True)
    own.backward()
    loss = abs(float(liger) - float(own)) / float(own)
    grads = max(float((a.grad.float() - b.grad.float()).abs().max() / b.grad.float().abs().max())
                for a, b in ((hidden, h2), (weight, w2)))
    return {"ok": loss < 1e-2 and grads < 0.05, "loss": loss, "grads": grads}


if not torch.cuda.is_available():
    write_result("kernels", "failed", f"torch {torch.__version__} sees no CUDA device")
    raise SystemExit(1)
varlen = check_varlen()
liger = check_liger()
parts = [("varlen flash attention: " + varlen["why"]) if varlen["ok"] else f"varlen flash attention FELL BACK "
         f"or differs: {varlen['why']}"]
if liger is None:
    parts.append("Liger: not installed (the engine uses its own linear cross-entropy)")
else:
    parts.append(f"Liger fused linear cross-entropy vs the engine's: loss {liger['loss']:.2e}, gradients "
                 f"{liger['grads']:.2e} (relative)" + ("" if liger["ok"] else " DIFFER"))
ok = varlen["ok"] and (liger is None or liger["ok"])
write_result("kernels", "ok" if ok else "failed", "; ".join(parts),
             varlen_forward_diff=varlen.get("forward"), varlen_backward_diff=varlen.get("backward"),
             liger_loss_diff=liger and liger["loss"], liger_grad_diff=liger and liger["grads"])
raise SystemExit(0 if ok else 1)
