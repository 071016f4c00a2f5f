"""Many MLPs of one architecture as one batched computation.

The parameters of M models are stacked along a leading model axis (``W{l}`` has shape
(M, out, in)); a forward pass is one batched product per layer for all models, each
model on its own minibatch (inputs of shape (M, B, features)). BN normalises each
model's features over its own minibatch, as ``torch.nn.BatchNorm1d`` does (ε = 1e-5,
running statistics with momentum 0.1).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from bnrank.nets.init import Architecture

BN_EPS = 1e-5
BN_MOMENTUM = 0.1
ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "linear": lambda x: x}


def stack(models: Sequence[dict[str, np.ndarray]], device: str | torch.device = "cpu") -> dict[str, Tensor]:
    """Stack per-model parameter dicts along a new leading model axis, on ``device``."""
    return {k: torch.from_numpy(np.stack([m[k] for m in models])).to(device) for k in models[0]}


def unstack(params: dict[str, Tensor]) -> list[dict[str, np.ndarray]]:
    """The inverse of ``stack``: one NumPy dict per model."""
    count = next(iter(params.values())).shape[0]
    return [{k: v[i].detach().cpu().numpy() for k, v in params.items()} for i in range(count)]


def trainable(arch: Architecture, params: dict[str, Tensor]) -> list[str]:
    """Names of the parameters SGD updates (not the BN running statistics)."""
    return [k for k in params if not k.startswith(("bn_mean", "bn_var"))]


def _batch_norm(z: Tensor, params: dict[str, Tensor], arch: Architecture, l: int, train: bool, update: bool) -> Tensor:
    """BN of z (M, features, B) over the minibatch axis, per model and feature: the
    models' features are the channels of one fused ``torch.nn.functional.batch_norm`` call."""
    models, width, batch = z.shape
    scale = params[f"bn_scale{l}"].reshape(-1) if arch.bn_affine else None
    shift = params[f"bn_shift{l}"].reshape(-1) if arch.bn_affine else None
    running = (params[f"bn_mean{l}"].view(-1), params[f"bn_var{l}"].view(-1)) if update or not train else (None, None)
    out = torch.nn.functional.batch_norm(
        z.reshape(1, models * width, batch), *running, scale, shift, train, BN_MOMENTUM, BN_EPS
    )
    return out.view(models, width, batch)


def forward(
    arch: Architecture,
    params: dict[str, Tensor],
    x: Tensor,
    train: bool = True,
    update_stats: bool = False,
    upto: int | None = None,
    pre_activation: bool = False,
) -> tuple[Tensor, list[Tensor]]:
    """Logits (M, B, classes) and the hidden representations [(M, B, width)] of x (M, B, in).

    ``train`` uses minibatch BN statistics (``update_stats`` also updates the running
    ones); otherwise the running statistics. ``upto`` stops after that many hidden
    layers (logits are then None); ``pre_activation`` returns representations before
    the activation. Internally activations are kept as (M, features, B), so that BN
    is one fused call over contiguous memory; the returned ones are transposed views.
    """
    act = ACTIVATIONS[arch.activation]
    hidden = []
    h = x.transpose(1, 2)
    for l in range(arch.depth if upto is None else upto):
        z = torch.baddbmm(params[f"b{l}"][..., None], params[f"W{l}"], h)
        if arch.norm == "bn":
            z = _batch_norm(z=z, params=params, arch=arch, l=l, train=train, update=update_stats)
        h = act(z)
        hidden.append((z if pre_activation else h).transpose(1, 2))
    if upto is not None:
        return None, hidden
    out = arch.depth
    return torch.baddbmm(params[f"b{out}"][..., None], params[f"W{out}"], h).transpose(1, 2), hidden


def inverse_rank_bound(h: Tensor) -> Tensor:
    """1 / r(H) = ‖M‖_F² / tr(M)² of representations h (M, B, width), per model.

    Uses the B×B Gram matrix, whose non-zero spectrum is that of M = HHᵀ/B.
    """
    gram = h @ h.transpose(1, 2)
    return gram.square().sum((1, 2)) / torch.diagonal(gram, dim1=1, dim2=2).sum(1).square()
