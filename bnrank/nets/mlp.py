"""Many MLPs of one width as one batched computation, whatever their depths.

The parameters of M models are stacked along a leading model axis, models deepest
first: hidden layer ℓ's ``W{ℓ}`` has shape (M_ℓ, out, in), where M_ℓ counts the models
deeper than ℓ — a prefix of the M models — and the output layer of the models of depth
D is ``out_W{D}``, (models of depth D, classes, width). A forward pass is one batched
product per layer for all models that have it, each model on its own minibatch (inputs
of shape (M, B, features)), and each depth leaves through its own head: the number of
operations is the deepest model's, however many depths are packed. BN normalises each
model's features over its own minibatch, as ``torch.nn.BatchNorm1d`` does (ε = 1e-5,
running statistics with momentum 0.1). No model's numbers depend on the others'.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from bnrank.activations import ACTIVATIONS
from bnrank.nets.init import Architecture

BN_EPS = 1e-5
BN_MOMENTUM = 0.1
HEAD = "out_"  # prefix of the output layers' names in a stack


def model_depth(model: dict[str, np.ndarray]) -> int:
    """Hidden layers of one model's parameters (``W0`` … ``W{depth}``, the last the output layer)."""
    return sum(1 for k in model if re.fullmatch(r"W\d+", k)) - 1


def _layer(name: str) -> int:
    return int(re.search(r"\d+$", name).group())


def stack(models: Sequence[dict[str, np.ndarray]], device: str | torch.device = "cpu") -> dict[str, Tensor]:
    """Stack per-model parameter dicts, deepest model first, along a new leading model
    axis, on ``device``; each output layer goes to its depth's ``out_W{D}``, ``out_b{D}``."""
    depths = [model_depth(m) for m in models]
    if depths != sorted(depths, reverse=True):
        raise ValueError(f"models must come deepest first to be stacked, got depths {depths}")
    rows: dict[str, list[np.ndarray]] = {}
    for model, depth in zip(models, depths, strict=True):
        for k, v in model.items():
            rows.setdefault(HEAD + k if k in (f"W{depth}", f"b{depth}") else k, []).append(v)
    return {k: torch.from_numpy(np.stack(v)).to(device) for k, v in rows.items()}


def depths(params: dict[str, Tensor]) -> list[int]:
    """The depth of every model of a stack, in its order (deepest first)."""
    heads = sorted(((_layer(k), v.shape[0]) for k, v in params.items() if k.startswith(HEAD + "W")), reverse=True)
    return [depth for depth, count in heads for _ in range(count)]


def rows(params: dict[str, Tensor]) -> dict[str, slice]:
    """The models of a stack that each parameter holds, as slices of the model axis: a
    prefix for a hidden layer's, the models of one depth for an output layer's."""
    all_depths = depths(params)

    def held(name: str) -> slice:
        if name.startswith(HEAD):
            depth = _layer(name)
            return slice(sum(d > depth for d in all_depths), sum(d >= depth for d in all_depths))
        return slice(0, params[name].shape[0])

    return {name: held(name) for name in params}


def unstack(params: dict[str, Tensor]) -> list[dict[str, np.ndarray]]:
    """The inverse of ``stack``: one NumPy dict per model, in the stack's order."""
    models: list[dict[str, np.ndarray]] = [{} for _ in depths(params)]
    held = rows(params)
    for k, v in params.items():
        values = v.detach().cpu().numpy()
        for row, m in enumerate(range(len(models))[held[k]]):
            models[m][k.removeprefix(HEAD)] = values[row]
    return models


def trainable(params: dict[str, Tensor]) -> list[str]:
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
    """Logits (M, B, classes) and the hidden representations of x (M, B, in) of a stack
    whose deepest model is ``arch``: layer ℓ's (M_ℓ, B, width) holds the models deeper than ℓ.

    ``train`` uses minibatch BN statistics (``update_stats`` also updates the running
    ones); otherwise the running statistics. ``upto`` stops after that many hidden
    layers (logits are then None); ``pre_activation`` returns representations before
    the activation. Internally activations are kept as (M, features, B), so that BN
    is one fused call over contiguous memory; the returned ones are transposed views.
    """
    act = ACTIVATIONS[arch.activation]
    hidden, logits = [], []
    h = x.transpose(1, 2)
    layers = arch.depth if upto is None else upto
    for l in range(layers):
        z = torch.baddbmm(params[f"b{l}"][..., None], params[f"W{l}"], h)
        if arch.norm == "bn":
            z = _batch_norm(z=z, params=params, arch=arch, l=l, train=train, update=update_stats)
        h = act(z)
        hidden.append((z if pre_activation else h).transpose(1, 2))
        deeper = len(params[f"W{l + 1}"]) if l + 1 < layers else 0  # the models that go on
        if upto is None and deeper < len(h):  # the others, of depth l + 1, leave through their head
            # one split (its gradient is one concatenation), none where all leave
            h, leaving = h.split([deeper, len(h) - deeper]) if deeper else (h[:0], h)
            logits.append(torch.baddbmm(params[f"{HEAD}b{l + 1}"][..., None], params[f"{HEAD}W{l + 1}"], leaving))
        elif deeper < len(h):
            h = h[:deeper]
    if upto is not None:
        return None, hidden
    return (logits[0] if len(logits) == 1 else torch.cat(logits[::-1])).transpose(1, 2), hidden


def inverse_rank_bound(h: Tensor) -> Tensor:
    """1 / r(H) = ‖M‖_F² / tr(M)² of representations h (M, B, width), per model.

    Uses the B×B Gram matrix, whose non-zero spectrum is that of M = HHᵀ/B.
    """
    gram = h @ h.transpose(1, 2)
    return gram.square().sum((1, 2)) / torch.diagonal(gram, dim1=1, dim2=2).sum(1).square()
