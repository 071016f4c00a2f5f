"""Rank notions (docs/figures.md, "Rank notions"), on batches of hidden representations.

Every function takes ``H`` of shape ``(..., d, N)`` (d features as rows, N samples as
columns) and works on all leading batch dimensions at once. ``M(H) = H Hᵀ / N`` is the
second-moment matrix; for a batch-normalised H its diagonal is one, as in the paper's
Eq. 2 (the paper normalises rows to unit norm and drops the 1/N; the two conventions
differ by the constant √N, which no rank notion sees).
"""

from __future__ import annotations

import typing
from collections.abc import Sequence

import numpy as np

from bnrank.settings import RankNotion

NOTIONS = typing.get_args(RankNotion)


def notion_column(notion: str, tau: float | None = None) -> str:
    """Table column of a rank notion (the soft rank needs its τ)."""
    if notion not in NOTIONS:
        raise ValueError(f"unknown rank notion {notion!r}; allowed: {', '.join(NOTIONS)}")
    if notion == "soft_rank":
        if tau is None:
            raise ValueError("the soft rank needs a threshold tau")
        return f"soft_rank_{tau:g}"
    return notion


def second_moment(H: np.ndarray) -> np.ndarray:
    """M(H) = H Hᵀ / N, the matrix whose spectrum all rank notions read."""
    return H @ np.swapaxes(H, -1, -2) / H.shape[-1]


def eigenvalues(H: np.ndarray) -> np.ndarray:
    """The min(d, N) largest eigenvalues of M(H), descending (squared singular values / N)."""
    return np.square(np.linalg.svd(H, compute_uv=False)) / H.shape[-1]


def singular_values(H: np.ndarray) -> np.ndarray:
    """The min(d, N) singular values of H, descending.

    A float64 H gets one SVD. A float32 H (the networks') gets the eigenvalues of its
    Gram matrix formed in float64 (H Hᵀ or Hᵀ H, whichever is smaller): the products of
    float32 entries are exact there, so the singular values come out within about
    √ε₆₄ · σ_max ≈ 1.5e-8 · σ_max, far inside float32's ``matrix_rank`` tolerance
    (σ_max · max(d, N) · 1.2e-7), at about half an SVD's cost.
    """
    if H.dtype != np.float32:
        return np.linalg.svd(H, compute_uv=False)
    H64 = H.astype(np.float64)
    Ht = np.swapaxes(H64, -1, -2)
    gram = H64 @ Ht if H.shape[-2] <= H.shape[-1] else Ht @ H64
    return np.sqrt(np.clip(np.linalg.eigvalsh(gram)[..., ::-1], 0.0, None))


def rank_notions(H: np.ndarray, taus: Sequence[float] = (0.5,), eig_threshold: float = 1e-9) -> dict[str, np.ndarray]:
    """All rank notions of H from one spectrum (``singular_values``).

    - ``matrix_rank``: numerical rank with the default tolerance σ_max · max(d, N) · eps
      of ``numpy.linalg.matrix_rank`` and ``torch.linalg.matrix_rank``.
    - ``lower_bound``: r(H) = tr(M)² / ‖M‖_F², the bound of Lemma 1 (rank(H) ≥ r(H)).
    - ``soft_rank_<τ>``: number of eigenvalues of M at least τ times their mean tr(M)/d.
    - ``eig_count``: number of eigenvalues of M above ``eig_threshold`` once M is scaled
      to tr(M) = d (as for a batch-normalised H), the count of the public Fig 3a code.

    An H with a NaN or infinite entry (a diverged network's) has no rank: every notion
    is NaN there.
    """
    d, n = H.shape[-2:]
    finite = np.isfinite(H).all(axis=(-2, -1))
    sv = singular_values(np.where(finite[..., None, None], H, H.dtype.type(0)))
    tol = sv[..., :1] * max(d, n) * np.finfo(H.dtype).eps
    lam = np.square(sv) / n  # eigenvalues(H), without a second decomposition
    trace = lam.sum(-1, keepdims=True)
    mean = trace / d
    with np.errstate(invalid="ignore"):  # H = 0 (every ReLU dead) has no r(H): 0 / 0
        lower_bound = np.square(trace[..., 0]) / np.where(finite, np.square(lam).sum(-1), 1.0)
    notions = {
        "matrix_rank": (sv > tol).sum(-1),
        "lower_bound": lower_bound,
        "eig_count": (lam > eig_threshold * mean).sum(-1),
    }
    for tau in taus:
        notions[notion_column("soft_rank", tau)] = (lam >= tau * mean).sum(-1)
    if finite.all():
        return notions
    return {k: np.where(finite, v, np.nan) for k, v in notions.items()}
