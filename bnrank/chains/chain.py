"""Batched BN and vanilla chains (docs/figures.md, "Objects and formulas").

A chain is ``H_{ℓ+1} = φ(norm(W_ℓ H_ℓ + H_ℓ / γ))`` with ``norm`` either BN (Eq. 2,
each row rescaled to unit mean square, optionally centred first) or nothing, and φ an
activation. Since BN is scale invariant, ``BN((I + γW)H) = BN(W H + H/γ)``; γ = ∞
drops the skip connection. Without BN the scale of H drifts, so it is rescaled by
powers of two (exact in floating point: bit for bit the unscaled chain).

``run_chains`` advances R independent runs of K chains at once: one batched product
``W_ℓ [H¹ … H^K]`` per layer (PyTorch's batched GEMM: at d = 32 it is 2-3× faster than
NumPy's matrix-by-matrix loop), then one fused Numba pass (residual, BN, activation)
over all rows. All K chains of a run share the layer's weights W_ℓ: each chain still has the
law of docs/figures.md §1, and the protocol leaves their joint law free (the public code shared W
between a BN chain and its vanilla twin). Runs never share weights.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numba
import numpy as np
import torch
from threadpoolctl import threadpool_limits

from bnrank.chains.random import matrices
from bnrank.settings import Activation, Norm

NORMS = typing.get_args(Norm)
ACTIVATIONS = typing.get_args(Activation)  # the order is the fused kernel's activation code
HOMOGENEOUS = ("linear", "relu")  # σ(cx) = cσ(x) for c > 0: a rescaled chain is the same chain
DTYPES = {"float64": np.float64, "float32": np.float32}

_RESCALE_EVERY = 16  # layers between power-of-two rescalings of unnormalised chains
_CHUNK_ELEMENTS = 1 << 20  # weights drawn at a time


class ChainError(RuntimeError):
    """A chain produced NaN or inf."""


@dataclass(frozen=True)
class Chain:
    """One chain of docs/figures.md §1: normalisation, activation and residual strength γ."""

    norm: str = "bn"
    activation: str = "linear"
    gamma: float = math.inf

    def __post_init__(self) -> None:
        if self.norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {self.norm!r}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {self.activation!r}")
        if not self.gamma > 0:
            raise ValueError(f"gamma must be positive (inf for no skip connection), got {self.gamma}")

    def __str__(self) -> str:
        return f"{self.norm}/{self.activation} γ={self.gamma:g}"


def batch_norm(H: np.ndarray, center: bool = False) -> np.ndarray:
    """BN at initialisation (Eq. 2, α = 1, β = 0): rows of H (..., d, N) to unit mean square.

    With ``center`` each row first loses its mean, as in BN layers used in practice.
    """
    if center:
        H = H - H.mean(-1, keepdims=True)
    return H / np.sqrt(np.square(H).mean(-1, keepdims=True))


@numba.njit(parallel=True, cache=True)
def _residual_norm_act(z, h, inv_gamma, bn, act, center):  # pragma: no cover - compiled
    """In place on z (R, d, K, N): z += h/γ_k, BN rows of BN chains, then φ_k (codes: ``ACTIVATIONS``)."""
    runs, d, chains, n = z.shape
    for rows in numba.prange(runs * d):
        r = rows // d
        i = rows % d
        for k in range(chains):
            row = z[r, i, k]
            c = inv_gamma[k]
            if c != 0.0:
                row += c * h[r, i, k]
            if bn[k]:
                mean = row.sum() / n if center else 0.0
                sq = 0.0
                for j in range(n):
                    sq += (row[j] - mean) ** 2
                scale = 1.0 / math.sqrt(sq / n)
                for j in range(n):
                    row[j] = (row[j] - mean) * scale
            if act[k] == 1:
                for j in range(n):
                    if row[j] < 0.0:
                        row[j] = 0.0
            elif act[k] == 2:
                for j in range(n):
                    row[j] = math.tanh(row[j])
            elif act[k] == 3:  # GELU, x Φ(x)
                for j in range(n):
                    row[j] = 0.5 * row[j] * (1.0 + math.erf(row[j] / math.sqrt(2.0)))
            elif act[k] == 4:
                for j in range(n):
                    row[j] = math.sin(row[j])


def _weight_chunks(keys: np.ndarray, d: int, steps: int, law: str, dtype) -> Iterator[np.ndarray]:
    """Weights of layers 1..steps as (T, R, d, d) chunks; layer ℓ is step ℓ−1 of each run's stream."""
    per_chunk = max(1, _CHUNK_ELEMENTS // (len(keys) * d * d))
    buffer = np.empty((per_chunk, len(keys), d * d), dtype)
    for start in range(0, steps, per_chunk):
        length = min(per_chunk, steps - start)
        yield matrices(keys, law, length, d, first=start, out=buffer[:length])


def run_chains(
    x0: np.ndarray,
    chains: Sequence[Chain],
    steps: int,
    record: Iterable[int],
    keys: np.ndarray,
    weights: str = "gaussian",
    center: bool = False,
    label: str = "chain",
) -> Iterator[tuple[int, np.ndarray]]:
    """Advance R runs of K chains from ``x0`` for ``steps`` layers.

    ``x0`` has shape (R, d, N) (every chain of a run starts from its run's input) or
    (R, K, d, N); ``keys`` holds one random key per run (``bnrank.streams.chain_keys``).
    Yields ``(ℓ, H_ℓ)`` for every ℓ in ``record`` (0 is the input), with ``H_ℓ`` of
    shape (R, K, d, N); it is overwritten by the next step, so use it before asking
    for the next. BN chains are at unit row mean square; unnormalised chains at a
    power-of-two scale. Raises ``ChainError``, naming ``label``, the chain, its width
    and the layer, as soon as a recorded state is not finite.
    """
    runs, d, n = x0.shape[0], x0.shape[-2], x0.shape[-1]
    k = len(chains)
    if len(keys) != runs:
        raise ValueError(f"need one key per run: {runs} runs, {len(keys)} keys")
    record = sorted(set(record))
    if record and not 0 <= record[0] <= record[-1] <= steps:
        raise ValueError(f"recorded layers must lie in [0, {steps}]")
    state = np.empty((runs, d, k, n), x0.dtype)
    state[...] = (x0 if x0.ndim == 4 else x0[:, None]).transpose(0, 2, 1, 3)
    spare = np.empty_like(state)

    inv_gamma = np.array([0.0 if math.isinf(c.gamma) else 1.0 / c.gamma for c in chains])
    bn = np.array([c.norm == "bn" for c in chains])
    act = np.array([ACTIVATIONS.index(c.activation) for c in chains])
    # unnormalised, positively homogeneous chains get rescaled; BN chains need no care
    rescaled = np.array([not b and c.activation in HOMOGENEOUS for b, c in zip(bn, chains, strict=True)])

    def check(layer: int, h: np.ndarray) -> None:
        bad = ~np.isfinite(h).all(axis=(1, 3))  # (R, K)
        if bad.any():
            r, j = np.argwhere(bad)[0]
            raise ChainError(f"{label}: chain {chains[j]} at width d={d} (run {r}) produced NaN/inf by layer {layer}")

    def rescale(h: np.ndarray) -> None:
        with np.errstate(divide="ignore", invalid="ignore"):
            norms = np.sqrt(np.square(h).sum(axis=(1, 3)))  # (R, K)
            factor = np.where(rescaled, np.exp2(-np.round(np.log2(norms))), 1.0)
        h *= factor[:, None, :, None].astype(h.dtype)

    rescale(state)
    targets = iter(record)
    target = next(targets, None)
    if target == 0:
        check(0, state)
        yield 0, state.transpose(0, 2, 1, 3)
        target = next(targets, None)
    layer = 0
    # torch views of the two buffers for the product; NumPy's BLAS stays single-threaded
    # so that its idle threads do not compete with PyTorch's and Numba's for the cores
    flat, spare_flat = (torch.from_numpy(b.reshape(runs, d, k * n)) for b in (state, spare))
    with threadpool_limits(1, user_api="blas"):
        for chunk in _weight_chunks(keys, d, steps, weights, state.dtype):
            for w in torch.from_numpy(chunk):
                layer += 1
                torch.bmm(w, flat, out=spare_flat)
                _residual_norm_act(spare, state, inv_gamma, bn, act, center)
                state, spare, flat, spare_flat = spare, state, spare_flat, flat
                if layer % _RESCALE_EVERY == 0:
                    rescale(state)
                if layer == target:
                    check(layer, state)
                    yield layer, state.transpose(0, 2, 1, 3)
                    target = next(targets, None)
