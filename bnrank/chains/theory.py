"""Quantities of the paper's proof (App. E), restored in docs/figures.md.

Lemma 7 (reconstructed, checked by Monte Carlo in the tests): for the linear BN chain,
  E‖M_{ℓ+1}‖_F² − ‖M_ℓ‖_F² = 2γ²(d² − ‖M‖_F² + 4 Σ_i ((M²)_ii)² − 4 tr(M³)) + O(γ³).
Def. 3: the regularity constant α_ν = E_ν[Σ_i ((M²)_ii)²] / E_ν[tr(M³)].
Lemma 13: if α < 1 then E_ν‖M‖_F² ≤ x*, the positive root of 4(1−α)x²/d + x − d² = 0.
"""

from __future__ import annotations

import numpy as np

from bnrank.rank import second_moment


def moments(H: np.ndarray) -> dict[str, np.ndarray]:
    """The three functionals of M = M(H) that Lemmas 7 and 13 need.

    ``frob2`` = ‖M‖_F², ``diag_sq`` = Σ_i ((M²)_ii)², ``tr_m3`` = tr(M³).
    """
    m = second_moment(H)
    m2 = m @ m
    return {
        "frob2": np.square(m).sum((-2, -1)),
        "diag_sq": np.square(np.diagonal(m2, axis1=-2, axis2=-1)).sum(-1),
        "tr_m3": (m2 * m).sum((-2, -1)),
    }


def lemma7_drift(M: np.ndarray, gamma: float) -> np.ndarray:
    """Second-order expected change of ‖M‖_F² over one BN layer (Lemma 7), M with unit diagonal."""
    d = M.shape[-1]
    m2 = M @ M
    diag_sq = np.square(np.diagonal(m2, axis1=-2, axis2=-1)).sum(-1)
    return 2 * gamma**2 * (d**2 - np.square(M).sum((-2, -1)) + 4 * diag_sq - 4 * (m2 * M).sum((-2, -1)))


def ergodic_average(samples: np.ndarray) -> np.ndarray:
    """Running means (1/L) Σ_{ℓ≤L} g(H_ℓ) along the last axis (Eq. 49)."""
    return np.cumsum(samples, axis=-1) / np.arange(1, samples.shape[-1] + 1)


def regularity_constant(diag_sq_mean: np.ndarray, tr_m3_mean: np.ndarray) -> np.ndarray:
    """α = E[Σ_i ((M²)_ii)²] / E[tr(M³)] from estimates of both expectations (Def. 3)."""
    return np.asarray(diag_sq_mean) / np.asarray(tr_m3_mean)


def lemma13_bound(alpha: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Positive root x* of 4(1−α)x²/d + x − d² = 0, the Lemma-13 bound on E‖M‖_F².

    Infinite where α ≥ 1 (the lemma then gives no bound).
    """
    alpha = np.asarray(alpha, dtype=float)
    d = np.asarray(d, dtype=float)
    a = 4 * (1 - alpha) / d
    with np.errstate(divide="ignore", invalid="ignore"):
        root = (np.sqrt(1 + 4 * a * d**2) - 1) / (2 * a)
    return np.where(alpha < 1, root, np.inf)


def alpha_standard_error(diag_sq: np.ndarray, tr_m3: np.ndarray, batches: int = 20) -> float:
    """Batch-means standard error of the ergodic estimate of α along one chain: α of each of
    ``batches`` consecutive batches of the recorded functionals (a trailing remainder is
    left out), their standard deviation over √batches."""
    n = len(diag_sq) // batches * batches
    if n < 2 * batches:
        raise ValueError(f"{len(diag_sq)} samples are too few for {batches} batches of at least 2")
    per_batch = regularity_constant(
        np.asarray(diag_sq)[:n].reshape(batches, -1).mean(1), np.asarray(tr_m3)[:n].reshape(batches, -1).mean(1)
    )
    return float(per_batch.std(ddof=1) / np.sqrt(batches))


def alpha_drift(diag_sq: np.ndarray, tr_m3: np.ndarray) -> float:
    """α estimated on the second half of a chain's recorded functionals minus α on the first:
    a trend that the batch-means error does not see (an average still settling)."""
    half = len(diag_sq) // 2
    if half < 1:
        raise ValueError(f"{len(diag_sq)} samples have no two halves")
    first = regularity_constant(np.mean(diag_sq[:half]), np.mean(tr_m3[:half]))
    second = regularity_constant(np.mean(diag_sq[half:]), np.mean(tr_m3[half:]))
    return float(second - first)
