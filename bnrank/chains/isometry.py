"""Fig 16 (beyond the paper): the isometry of LayerNorm and RMSNorm chains over depth.

Joudaki, Daneshmand & Bach, "On the impact of activation and normalization in obtaining
isometric embeddings at initialization" (NeurIPS 2023; public code
ajoudaki/deepnet-isometry): the isometry of the Gram matrix G = HᵀH of n samples,

    I(G) = det(G)^{1/n} / (tr G / n) ∈ (0, 1]        (their Eq. 1: geometric over
                                                       arithmetic mean of G's eigenvalues),

rises to 1 with depth in a chain X ← LN(σ(W X)) at a rate set by the non-linearity
strength β_σ of σ (their Theorem 3), and not at all for a linear σ. The chains and
``−log I`` per layer are here; the fitted rates and β_σ are added by ``bnrank.tables``
(docs/figures.md §7, Fig 16).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from bnrank.chains.deep import NORMALISATIONS, Layer, propagate
from bnrank.chains.mean_field import CORRELATION_MAPS, mean_field_isometry_gaps
from bnrank.chains.simulate import nearly_collinear
from bnrank.rank import eigenvalues
from bnrank.settings import Isometry
from bnrank.streams import chain_keys


def isometry_gap(H: Tensor) -> Tensor:
    """−log I(HᵀH) = log(mean λ) − mean(log λ) over the n eigenvalues λ of the Gram matrix
    of the n columns of H (..., d, n), d ≥ n: 0 exactly when the columns are orthogonal
    and of equal norm, +∞ when they are linearly dependent (Joudaki et al. 2023, Eq. 1)."""
    lam = eigenvalues(H)  # the non-zero eigenvalues of H Hᵀ are those of Hᵀ H, scaled alike
    return lam.mean(-1).log() - lam.log().mean(-1)


def inputs(isometry: Isometry, seed: int, dtype: str) -> Tensor:
    """Each run's input X₀ (R, d, n): X = x gᵀ + √noise · E with random signs x ∈ {±1}^d and
    standard Gaussian g ∈ ℝⁿ, E ∈ ℝ^{d×n} (Fig 3b's construction: the smaller ``noise``,
    the nearer to collinear), each sample then scaled to unit mean square over features."""
    s = isometry
    keys = [chain_keys(p, seed, s.runs) for p in ("isometry_signs", "isometry_inputs", "isometry_noise")]
    return NORMALISATIONS["rms"](torch.from_numpy(nearly_collinear(*keys, s.width, s.samples, s.noise, dtype)))


def isometry(isometry: Isometry, seed: int, dtype: str) -> pd.DataFrame:
    """−log I(G_ℓ), ℓ = 0..layers, of one chain per (normalisation, activation), every
    chain of a run from the same input (``inputs``) through the same weights (``weights``,
    entries of variance 1/d): X_ℓ = N(σ(W_ℓ X_{ℓ−1})) (order ``linear_act_norm``). One row per run,
    chain and layer, with the width d and the number of samples n, and ``mean_field``: −log I
    of the same run's input carried through the chain's d → ∞ correlation map
    (``mean_field.mean_field_isometry_gaps``; NaN for a normalisation without one)."""
    s = isometry
    layers = [Layer(norm, act, s.weights, "linear_act_norm") for norm in s.norms for act in s.activations]
    x0 = inputs(s, seed, dtype)
    states = propagate(
        x0,
        layers,
        s.layers,
        chain_keys("isometry_weights", seed, s.runs),
        range(s.layers + 1),
        label="fig16",
    )
    gaps = torch.stack([isometry_gap(H) for _, H in states], dim=-1)  # (R, K, layers + 1)
    mean_field = torch.stack(
        [
            mean_field_isometry_gaps(x0, c.activation, c.norm, s.layers)
            if c.norm in CORRELATION_MAPS
            else torch.full((s.runs, s.layers + 1), torch.nan, dtype=x0.dtype)
            for c in layers
        ],
        dim=1,
    )  # (R, K, layers + 1)
    runs, chains, depth = gaps.shape
    return pd.DataFrame(
        {
            "norm": np.tile(np.repeat([c.norm for c in layers], depth), runs),
            "activation": np.tile(np.repeat([c.activation for c in layers], depth), runs),
            "run": np.repeat(np.arange(runs), chains * depth),
            "layer": np.tile(np.arange(depth), runs * chains),
            "neg_log_isometry": gaps.flatten().numpy(),
            "mean_field": mean_field.flatten().numpy(),
            "d": s.width,
            "n": s.samples,
        }
    )
