"""Deep random networks with any normalisation, activation and weight law, in torch: the
chains of the figures beyond the paper (docs/figures.md §7).

R independent runs of a network map n samples of width d, H (R, d, n), through layers
``H ← N(σ(W H))`` (order ``linear_act_norm``) or ``H ← σ(N(W H))`` (``linear_norm_act``),
W with i.i.d. entries of variance 1/d (or Haar-orthogonal, scaled alike), drawn from each
run's counter-based stream (``bnrank.chains.random``): layer ℓ's weights do not depend on
the depth, the number of runs or the other settings. Every normalisation is one entry
of ``NORMALISATIONS``, every activation one of ``bnrank.activations.ACTIVATIONS``.

The paper's own chains (Figs 2, 3, 8, 9) run on the fused engine of ``bnrank.chains.chain``,
which is faster for their millions of layers; these run where a figure needs what it
lacks: normalisations over features, more activations, or gradients (autograd).
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from bnrank.activations import ACTIVATIONS
from bnrank.chains.chain import HOMOGENEOUS, ChainError
from bnrank.chains.random import matrices
from bnrank.settings import LayerOrder, Normalisation, WeightLaw

_CHUNK_ELEMENTS = 1 << 22  # weights drawn at a time


def _standardise(h: Tensor, dim: int, center: bool) -> Tensor:
    """h centred (if ``center``) and scaled to unit mean square along ``dim``; a slice that is
    all zero (a feature whose ReLUs are all dead) stays zero, the limit ε → 0 of BN's ε."""
    if center:
        h = h - h.mean(dim, keepdim=True)
    scale = h.square().mean(dim, keepdim=True).sqrt()
    return h / torch.where(scale > 0, scale, 1.0)


# H is (..., d features, n samples): BN normalises each feature over the samples (Eq. 2),
# LayerNorm each sample over the features; neither has ε or an affine part (initialisation).
NORMALISATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "bn": lambda h: _standardise(h, -1, center=True),
    "bn_uncentred": lambda h: _standardise(h, -1, center=False),
    "ln": lambda h: _standardise(h, -2, center=True),
    "rms": lambda h: _standardise(h, -2, center=False),
    "none": lambda h: h,
}


@dataclass(frozen=True)
class Layer:
    """One layer of a deep chain: its normalisation, activation, weight law and order."""

    norm: Normalisation
    activation: str
    weights: WeightLaw = "gaussian"
    order: LayerOrder = "linear_act_norm"

    def __post_init__(self) -> None:
        for name, allowed in (
            ("norm", NORMALISATIONS),
            ("activation", ACTIVATIONS),
            ("weights", typing.get_args(WeightLaw)),
            ("order", typing.get_args(LayerOrder)),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {tuple(allowed)}, got {getattr(self, name)!r}")

    def __call__(self, w: Tensor, h: Tensor) -> Tensor:
        """The layer's output for weights w (R, d, d) and input h (R, d, n)."""
        norm, act = NORMALISATIONS[self.norm], ACTIVATIONS[self.activation]
        z = w @ h
        return norm(act(z)) if self.order == "linear_act_norm" else act(norm(z))

    def __str__(self) -> str:
        return f"{self.norm}/{self.activation}/{self.weights}"


def weights(keys: np.ndarray, law: str, d: int, depth: int, dtype: torch.dtype) -> Iterator[Tensor]:
    """Layer 1..depth's weights (R, d, d), entries of variance 1/d; layer ℓ is step ℓ−1 of
    each run's stream (``keys``, one per run)."""
    per_chunk = max(1, _CHUNK_ELEMENTS // (len(keys) * d * d))
    for start in range(0, depth, per_chunk):
        chunk = matrices(keys, law, min(per_chunk, depth - start), d, first=start) / np.sqrt(d)
        yield from torch.from_numpy(chunk).to(dtype)


def propagate(
    x0: Tensor, layers: Sequence[Layer], depth: int, keys: np.ndarray, record: Iterable[int], label: str = "deep chain"
) -> Iterator[tuple[int, Tensor]]:
    """``(ℓ, H_ℓ)``, H_ℓ of shape (R, K, d, n), for every ℓ in ``record`` (0: the input):
    R runs, one per key, of K chains, one per layer of ``layers``, all from the run's input
    x0 (R, d, n) and through the run's weights (so the chains must share a weight law).

    An unnormalised chain of a positively homogeneous σ is rescaled to unit mean square
    after each layer, which leaves its direction as it was (nothing measured here depends
    on the scale). Raises ``ChainError`` at the first recorded state that is not finite,
    naming ``label``, the chain and the layer.
    """
    laws = {layer.weights for layer in layers}
    if len(laws) != 1:
        raise ValueError(f"{label}: the chains of one run share their weights, so one law; got {sorted(laws)}")
    record = sorted(set(record))
    if record and not 0 <= record[0] <= record[-1] <= depth:
        raise ValueError(f"recorded layers must lie in [0, {depth}], got {record[0]}..{record[-1]}")
    rescaled = [layer.norm == "none" and layer.activation in HOMOGENEOUS for layer in layers]
    wanted = set(record)
    h = x0[:, None].expand(-1, len(layers), -1, -1)
    with torch.no_grad():
        if 0 in wanted:
            yield 0, h
        for ell, w in enumerate(weights(keys, laws.pop(), x0.shape[-2], record[-1] if record else 0, x0.dtype), 1):
            h = torch.stack([layer(w, h[:, k]) for k, layer in enumerate(layers)], dim=1)
            for k in (k for k, r in enumerate(rescaled) if r):
                h[:, k] /= h[:, k].square().mean((-2, -1), keepdim=True).sqrt()
            if ell in wanted:
                finite = torch.isfinite(h).flatten(2).all(-1)  # (R, K)
                if not finite.all():
                    run, k = (~finite).nonzero()[0].tolist()
                    raise ChainError(
                        f"{label}: chain {layers[k]} at width d={x0.shape[-2]} (run {run}) "
                        f"produced NaN/inf by layer {ell}"
                    )
                yield ell, h


def gradient_norms(x0: Tensor, layer: Layer, depth: int, keys: np.ndarray, readout: Tensor) -> Tensor:
    """‖∂L/∂H_ℓ‖²_F, (R, depth + 1), for ℓ = 0..depth, of the loss L = ⟨readout, H_depth⟩
    (summed over runs; each run's gradients are its own): the backward pass by autograd."""
    states = [x0.detach().requires_grad_(True)]
    for w in weights(keys, layer.weights, x0.shape[-2], depth, x0.dtype):
        states.append(layer(w, states[-1]))
    grads = torch.autograd.grad((readout * states[-1]).sum(), states)
    return torch.stack([g.detach().square().sum((-2, -1)) for g in grads], dim=1)
