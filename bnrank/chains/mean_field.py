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


def _gaussian_rule() -> tuple[torch.Tensor, torch.Tensor]:
    """Nodes z and weights w with Σ w f(z) ≈ E f(z), z ~ N(0, 1): Gauss-Legendre on [−12, 0]
    and [0, 12], exact to rounding for functions smooth on each half (ReLU's kink sits at
    the split)."""
    x, w = np.polynomial.legendre.leggauss(_NODES)
    z = np.concatenate([(x - 1) * _HALF_RANGE / 2, (x + 1) * _HALF_RANGE / 2])
    weights = np.concatenate([w, w]) * _HALF_RANGE / 2 * np.exp(-(z**2) / 2) / math.sqrt(2 * math.pi)
    return torch.from_numpy(z), torch.from_numpy(weights)


def gaussian_expectation(f: Callable[[torch.Tensor], torch.Tensor]) -> float:
    """E f(z), z ~ N(0, 1), by quadrature (``_gaussian_rule``)."""
    z, weights = _gaussian_rule()
    return float((weights.numpy() * f(z).numpy()).sum())


def nonlinearity_strength(activation: str) -> float:
    """β_σ = c₁² / Σ_{k≥1} c_k² = (E z σ(z))² / Var σ(z), z ~ N(0, 1), from σ's Hermite
    coefficients c_k (Joudaki, Daneshmand & Bach 2023): 1 for a linear σ, smaller the
    more non-linear σ is. Near isometry a LayerNorm chain shrinks every correlation
    between two samples by β_σ per layer, so −log I(G) by β_σ² (docs/figures.md §7)."""
    act = ACTIVATIONS[activation]
    first = gaussian_expectation(lambda z: z * act(z))
    return first**2 / second_moment(activation, centred=True)


def second_moment(activation: str, centred: bool) -> float:
    """Var σ(z) (``centred``) or E σ(z)², z ~ N(0, 1), by quadrature: Σ_{k≥1} c_k² or Σ_{k≥0} c_k²."""
    act = ACTIVATIONS[activation]
    square = gaussian_expectation(lambda z: act(z) ** 2)
    return square - gaussian_expectation(act) ** 2 if centred else square


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


HERMITE_TERMS = 100  # c_0..c_99: beyond, c_k² ρ^k is below 1e-7 for |ρ| ≤ 0.9 (ReLU's c_k² ~ k^(−5/2))


def hermite_coefficients(activation: str, terms: int = HERMITE_TERMS) -> np.ndarray:
    """σ's normalised Hermite coefficients c_k = E σ(z) h_k(z), k < ``terms``, z ~ N(0, 1),
    h_k = He_k / √k! (orthonormal under the Gaussian), by quadrature: σ = Σ c_k h_k and
    Σ c_k² = E σ(z)²."""
    z, weights = _gaussian_rule()
    h = [torch.ones_like(z), z]  # h_0, h_1; h_{k+1} = (z h_k − √k h_{k−1}) / √(k+1)
    for k in range(1, terms - 1):
        h.append((z * h[k] - math.sqrt(k) * h[k - 1]) / math.sqrt(k + 1))
    return (torch.stack(h[:terms]) * ACTIVATIONS[activation](z) * weights).sum(-1).numpy()


CORRELATION_MAPS = {"ln": 1, "rms": 0}  # the normalisations with a map here: the first Hermite term it keeps


def correlation_map(activation: str, norm: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """κ: the correlation of two samples after a layer N(σ(W·)) as a function of their
    correlation ρ before it, width d → ∞, W Gaussian of variance 1/d, inputs of unit mean
    square (Joudaki et al. 2023's Hermite expansion): κ(ρ) = Σ_{k≥k₀} c_k² ρ^k / Σ_{k≥k₀} c_k²,
    k₀ = 1 for LayerNorm (its centring removes c₀) and 0 for RMSNorm. The denominator is
    Var σ(z) or E σ(z)² by quadrature, so that truncating the series (``HERMITE_TERMS``) only
    leaves out its tail, small for |ρ| < 1."""
    first = CORRELATION_MAPS[norm]
    total = second_moment(activation, centred=first == 1)
    weights = torch.from_numpy(hermite_coefficients(activation)[first:] ** 2 / total)

    def kappa(rho: torch.Tensor) -> torch.Tensor:
        value = torch.zeros_like(rho)
        for w in weights.flip(0):  # Horner in ρ, then the ρ^k₀ factor
            value = value * rho + w
        return value * rho**first

    return kappa


def mean_field_isometry_gaps(inputs: torch.Tensor, activation: str, norm: str, layers: int) -> torch.Tensor:
    """−log I(G_ℓ), ℓ = 0..layers, of the chain X_ℓ = N(σ(W_ℓ X_{ℓ−1})) as d → ∞: the inputs'
    (..., d, n) correlation matrix C₀ (cosines of the samples), then C_ℓ = κ(C_{ℓ−1}) entry by
    entry off the diagonal (``correlation_map``; the diagonal stays 1), and
    −log I(C_ℓ) = −log det(C_ℓ) / n.
    Returns (..., layers + 1)."""
    kappa = correlation_map(activation, norm)
    unit = inputs / torch.linalg.vector_norm(inputs, dim=-2, keepdim=True)
    correlations = unit.mT @ unit
    n = correlations.shape[-1]
    off_diagonal = ~torch.eye(n, dtype=torch.bool, device=correlations.device)
    gaps = []
    for _ in range(layers + 1):
        gaps.append(-torch.linalg.slogdet(correlations)[1] / n)
        correlations = torch.where(off_diagonal, kappa(correlations), correlations)
    return torch.stack(gaps, dim=-1)
