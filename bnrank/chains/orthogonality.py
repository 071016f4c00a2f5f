"""Fig 14 (beyond the paper): the orthogonality gap of deep random chains with and without BN.

Daneshmand, Joudaki & Bach, "Batch normalization orthogonalizes representations in deep
random networks" (NeurIPS 2021): for a representation H of n samples (d features ×
n samples) the orthogonality gap is

    V(H) = ‖ HᵀH / ‖H‖²_F − I_n / n ‖_F,

0 for orthogonal samples of equal norm and √(1 − 1/n), its largest value, for collinear
ones. With M = H Hᵀ / n, ‖HᵀH‖_F = ‖H Hᵀ‖_F and ‖H‖²_F = tr(H Hᵀ), so
V(H)² = 1/r(H) − 1/n with r(H) = tr(M)² / ‖M‖²_F, the ``lower_bound`` rank notion of
``bnrank.rank`` (Lemma 1 of the reproduced paper). Their main theorem: through BN (without
centring) and Gaussian linear layers, V decays with depth until it levels off at a value
that shrinks with the width d.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from bnrank.chains.deep import Layer, propagate
from bnrank.chains.simulate import nearly_collinear
from bnrank.settings import Orthogonality
from bnrank.streams import chain_keys


def orthogonality_gap(H: Tensor) -> Tensor:
    """V(H) = ‖HᵀH/‖H‖²_F − I_n/n‖_F for H (..., d, n), over the leading dimensions (their definition)."""
    gram = H.mT @ H
    n = gram.shape[-1]
    eye = torch.eye(n, dtype=H.dtype, device=H.device)
    return torch.linalg.matrix_norm(gram / gram.diagonal(dim1=-2, dim2=-1).sum(-1)[..., None, None] - eye / n)


def max_gap(n: int) -> float:
    """√(1 − 1/n): the gap of collinear samples (r(H) = 1), the largest V takes."""
    return float(np.sqrt(1 - 1 / n))


def orthogonality(settings: Orthogonality, seed: int, dtype: str) -> pd.DataFrame:
    """Fig 14: V(H_ℓ), ℓ = 0..layers, of chains H_{ℓ+1} = N(σ(W_ℓ H_ℓ)) (``order``), one per
    (normalisation, activation), at every width; Daneshmand et al. (2021).

    Per run and width, the n = ``batch`` inputs are nearly collinear,
    X = x gᵀ + √noise · E (``bnrank.chains.simulate.nearly_collinear``), and every chain of
    the width starts from them and shares each layer's weights (i.i.d. entries of variance
    1/d). Returns one row per (d, norm, activation, run, layer) with the gap ``gap``, and the
    batch ``n``.
    """
    s = settings
    chains = [Layer(norm, act, s.weights, s.order) for norm in s.norms for act in s.activations]
    frames = []
    for d in s.widths:
        keys = [
            chain_keys(p, seed, s.runs, d)
            for p in ("orthogonality_signs", "orthogonality_inputs", "orthogonality_noise")
        ]
        x0 = torch.from_numpy(nearly_collinear(*keys, d, s.batch, s.noise, dtype))  # dtype: chains.dtype
        weights = chain_keys("orthogonality_weights", seed, s.runs, d)
        label = f"fig14 (d={d})"
        gaps = torch.stack(
            [orthogonality_gap(H) for _, H in propagate(x0, chains, s.layers, weights, range(s.layers + 1), label)]
        )
        layer, run, chain = np.meshgrid(
            np.arange(s.layers + 1), np.arange(s.runs), np.arange(len(chains)), indexing="ij"
        )
        frames.append(
            pd.DataFrame(
                {
                    "d": d,
                    "norm": [chains[k].norm for k in chain.ravel()],
                    "activation": [chains[k].activation for k in chain.ravel()],
                    "run": run.ravel(),
                    "layer": layer.ravel(),
                    "gap": gaps.numpy().ravel(),
                }
            )
        )
    table = pd.concat(frames, ignore_index=True).assign(n=s.batch)
    return table.sort_values(["d", "norm", "activation", "run", "layer"], ignore_index=True)
