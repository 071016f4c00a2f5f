"""Mean-field quantities of deep random networks, by numerical integration against the
standard Gaussian (docs/figures.md §7): what the figures beyond the paper compare their
chains with. Nothing here is a typed-in constant of an activation.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from bnrank.activations import ACTIVATIONS

_HALF_RANGE = 12.0  # the Gaussian beyond ±12 weighs less than 1e-32
_NODES = 200  # Gauss-Legendre nodes on each half line


def gaussian_expectation(f: Callable[[torch.Tensor], torch.Tensor]) -> float:
    """E f(z), z ~ N(0, 1), by Gauss-Legendre quadrature on [−12, 0] and [0, 12]: exact to
    rounding for functions smooth on each half (ReLU's kink sits at the split)."""
    x, w = np.polynomial.legendre.leggauss(_NODES)
    z = np.concatenate([(x - 1) * _HALF_RANGE / 2, (x + 1) * _HALF_RANGE / 2])
    weights = np.concatenate([w, w]) * _HALF_RANGE / 2 * np.exp(-(z**2) / 2) / math.sqrt(2 * math.pi)
    return float((weights * f(torch.from_numpy(z)).numpy()).sum())


def nonlinearity_strength(activation: str) -> float:
    """β_σ = c₁² / Σ_{k≥1} c_k² = (E z σ(z))² / Var σ(z), z ~ N(0, 1), from σ's Hermite
    coefficients c_k (Joudaki, Daneshmand & Bach 2023): 1 for a linear σ, smaller the
    more non-linear σ is. Near isometry a LayerNorm chain shrinks every correlation
    between two samples by β_σ per layer, so −log I(G) by β_σ² (docs/figures.md §7)."""
    act = ACTIVATIONS[activation]
    first = gaussian_expectation(lambda z: z * act(z))
    mean = gaussian_expectation(act)
    variance = gaussian_expectation(lambda z: act(z) ** 2) - mean**2
    return first**2 / variance


def bn_linear_gradient_rate(batch: int) -> float:
    """The mean-field growth per layer of E‖∂L/∂H_ℓ‖² towards the input of a deep linear
    MLP with centred BN at initialisation, batch size B > 3: (B − 2)/(B − 3) (Yang et al.
    2019)."""
    if batch <= 3:
        raise ValueError(f"the rate is finite for batches of more than 3 samples, got {batch}")
    return (batch - 2) / (batch - 3)


def bn_relu_gradient_rate_limit() -> float:
    """The same rate for ReLU (σ after BN) as B → ∞: π/(π − 1) (Yang et al. 2019)."""
    return math.pi / (math.pi - 1)


def floor(width: int, samples: int) -> float:
    """(n − 1)/(2d): −log I of n samples with unit norms whose correlations are independent
    N(0, 1/d), the level sampling noise at width d keeps a chain above
    (−log I ≈ Σ_{i<j} ρ_ij² / n near isometry; docs/figures.md §7, Fig 16)."""
    return (samples - 1) / (2 * width)


def hermite_constants(activation: str) -> dict[str, float]:
    """σ's Gaussian mean c₀ = E σ(z) (what RMSNorm keeps and LayerNorm's centring removes),
    its non-linearity strength β_σ (``mean_field.nonlinearity_strength``) and β_σ², the
    rate per layer of −log I near isometry under LayerNorm (docs/figures.md §7, Fig 16)."""
    beta = nonlinearity_strength(activation)
    return {"gaussian_mean": gaussian_expectation(ACTIVATIONS[activation]), "beta": beta, "beta_squared": beta**2}
