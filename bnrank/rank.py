"""Rank notions (docs/figures.md, "Rank notions"), on batches of hidden representations.

Every function takes ``H`` of shape ``(..., d, N)`` (d features as rows, N samples as
columns) and works on all leading batch dimensions at once. ``M(H) = H Hᵀ / N`` is the
second-moment matrix; for a batch-normalised H its diagonal is one, as in the paper's
Eq. 2 (the paper normalises rows to unit norm and drops the 1/N; the two conventions
differ by the constant √N, which no rank notion sees).

The rank notions are computed by torch, on H's device (a GPU's activations stay on it;
one batched call per epoch); a NumPy H is measured on the host and gets NumPy back.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import Tensor

from bnrank.settings import RankNotion

NOTIONS = typing.get_args(RankNotion)

Array = typing.TypeVar("Array", np.ndarray, Tensor)
Solver = typing.Literal["gram", "svd", "gesvd", "gesvdj", "gesvda"]
"""How ``singular_values`` gets a spectrum: ``gram``, the eigenvalues of a float32 H's
float64 Gram matrix (a float64 H gets ``svd``); ``svd``, ``torch.linalg.svdvals`` of H
(a float32 H in float64); the others, svdvals with that cuSOLVER ``driver=`` (CUDA only)."""

SOLVER: dict[str, Solver] = {"cpu": "gram", "cuda": "gram"}
"""The solver per device type. CPU: ``gram``, measured by benchmarks/rank_notions.py on
one thread (a job's): 1.1-1.2× faster than the NumPy code before it, ``svd`` 1.2× slower
than that. CUDA: unmeasured; ``gram`` until a GPU session's run of that benchmark decides."""

_F = typing.TypeVar("_F", bound=Callable[..., typing.Any])


def _numpy_in_numpy_out(fn: _F) -> _F:
    """Let a function of a Tensor H take a NumPy H too (on the host), giving NumPy back."""

    @functools.wraps(fn)
    def wrapper(H: np.ndarray | Tensor, *args: typing.Any, **kwargs: typing.Any) -> typing.Any:
        if not isinstance(H, np.ndarray):
            return fn(H, *args, **kwargs)
        out = fn(torch.from_numpy(np.require(H, requirements="CW")), *args, **kwargs)
        return {k: v.numpy() for k, v in out.items()} if isinstance(out, dict) else out.numpy()

    return typing.cast(_F, wrapper)


def notion_column(notion: str, tau: float | None = None) -> str:
    """Table column of a rank notion (the soft rank needs its τ)."""
    if notion not in NOTIONS:
        raise ValueError(f"unknown rank notion {notion!r}; allowed: {', '.join(NOTIONS)}")
    if notion == "soft_rank":
        if tau is None:
            raise ValueError("the soft rank needs a threshold tau")
        return f"soft_rank_{tau:g}"
    return notion


def second_moment(H: Array) -> Array:
    """M(H) = H Hᵀ / N, the matrix whose spectrum all rank notions read."""
    return H @ H.swapaxes(-1, -2) / H.shape[-1]


@_numpy_in_numpy_out
def eigenvalues(H: Array) -> Array:
    """The min(d, N) largest eigenvalues of M(H), descending (squared singular values / N)."""
    return singular_values(H).square() / H.shape[-1]


@_numpy_in_numpy_out
def singular_values(H: Array, solver: Solver | None = None) -> Array:
    """The min(d, N) singular values of H, descending (``solver``: ``SOLVER`` of H's device).

    A float64 H gets one SVD. A float32 H (the networks') gets the eigenvalues of its
    Gram matrix formed in float64 (H Hᵀ or Hᵀ H, whichever is smaller): the products of
    float32 entries are exact there, so the singular values come out within about
    √ε₆₄ · σ_max ≈ 1.5e-8 · σ_max, far inside float32's ``matrix_rank`` tolerance
    (σ_max · max(d, N) · 1.2e-7), at about half an SVD's cost.
    """
    solver = solver or SOLVER.get(H.device.type, "gram")
    if H.dtype == torch.float32:
        H = H.double()
        if solver == "gram":
            gram = H @ H.mT if H.shape[-2] <= H.shape[-1] else H.mT @ H
            return torch.linalg.eigvalsh(gram).flip(-1).clamp(min=0).sqrt()
    return torch.linalg.svdvals(H, driver=None if solver in ("gram", "svd") else solver)


@_numpy_in_numpy_out
def rank_notions(H: Array, taus: Sequence[float] = (0.5,), eig_threshold: float = 1e-9) -> dict[str, Array]:
    """All rank notions of H from one spectrum (``singular_values``), on H's device.

    - ``matrix_rank``: numerical rank with the default tolerance σ_max · max(d, N) · eps
      of ``numpy.linalg.matrix_rank`` and ``torch.linalg.matrix_rank``.
    - ``lower_bound``: r(H) = tr(M)² / ‖M‖_F², the bound of Lemma 1 (rank(H) ≥ r(H)).
    - ``soft_rank_<τ>``: number of eigenvalues of M at least τ times their mean tr(M)/d.
    - ``eig_count``: number of eigenvalues of M above ``eig_threshold`` once M is scaled
      to tr(M) = d (as for a batch-normalised H), the count of the public Fig 3a code.

    Counts are int64, ``lower_bound`` float64. An H with a NaN or infinite entry (a
    diverged network's) has no rank: every notion is NaN there (and every notion of
    the batch float64; finding out costs one synchronisation on a GPU).
    """
    d, n = H.shape[-2:]
    finite = (H * 0).sum((-2, -1)) == 0  # x·0 is NaN for x = ±inf, NaN: isfinite() in one pass
    all_finite = bool(finite.all())
    # as_tensor: a benchmark may swap in a NumPy singular_values (benchmarks/epoch.py)
    sv = torch.as_tensor(singular_values(H if all_finite else H.where(finite[..., None, None], 0)))
    tol = sv[..., :1] * max(d, n) * torch.finfo(H.dtype).eps
    lam = sv.square() / n  # eigenvalues(H), without a second decomposition
    trace = lam.sum(-1, keepdim=True)
    mean = trace / d
    notions = {
        "matrix_rank": (sv > tol).sum(-1),
        "lower_bound": trace[..., 0].square() / lam.square().sum(-1),  # H = 0 (every ReLU dead): 0 / 0 = NaN
        "eig_count": (lam > eig_threshold * mean).sum(-1),
    }
    for tau in taus:
        notions[notion_column("soft_rank", tau)] = (lam >= tau * mean).sum(-1)
    if all_finite:
        return notions
    return {k: torch.where(finite, v.double(), torch.nan) for k, v in notions.items()}
