"""Fig 15 (beyond the paper): the gradients of deep BN networks at initialisation.

(a) Yang, Pennington, Rao, Sohl-Dickstein & Schoenholz, "A mean field theory of batch
normalization" (ICLR 2019): in H_ℓ = σ(BN(W_ℓ H_{ℓ−1})) with centred BN and Gaussian
weights, the squared gradient norm E‖∂L/∂H_ℓ‖²_F grows geometrically towards the input,
by a factor per layer that depends on the batch size B and σ only: (B − 2)/(B − 3) for a
linear σ, tending to π/(π − 1) for ReLU as B → ∞
(``bnrank.chains.mean_field``). Their mean field is the limit of infinite width d.

(b) Meterez, Joudaki, Orabona, Immer, Rätsch & Daneshmand, "Towards training without
depth limits: batch normalization without gradient explosion" (ICLR 2024; public code
alexandrumeterez/bngrad): with n = d samples, a linear σ, BN without centring and
orthogonal weights, log ‖∂L/∂H_ℓ‖² stays bounded at any depth, while
with Gaussian weights it still grows linearly in depth.

Here ‖∂L/∂H_ℓ‖²_F for ℓ = 0..depth of the loss L = ⟨G, H_depth⟩ with a Gaussian readout
G, by autograd (``bnrank.chains.deep.gradient_norms``); the rates are fitted by
``bnrank.tables`` (docs/figures.md §7, Fig 15).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from bnrank.chains.deep import Layer, gradient_norms
from bnrank.chains.simulate import gaussian_matrices
from bnrank.settings import GradientExplosion, GradientRemedy, Gradients
from bnrank.streams import Purpose, chain_keys


def gaussian(purpose: Purpose, seed: int, runs: int, d: int, n: int, dtype: str, *index: int) -> Tensor:
    """One standard Gaussian (d × n) matrix per run, (runs, d, n), from stream ``purpose``."""
    return torch.from_numpy(gaussian_matrices(chain_keys(purpose, seed, runs, *index), d, n, dtype))


def _rows(norms: Tensor, **network: object) -> pd.DataFrame:
    """One row per (run, layer) of ``norms`` (R, depth + 1): ‖∂L/∂H_ℓ‖²_F, and its network."""
    runs, layers = norms.shape
    return pd.DataFrame(
        {
            **network,
            "run": np.repeat(np.arange(runs), layers),
            "layer": np.tile(np.arange(layers), runs),
            "grad_sq": norms.flatten().numpy(),
        }
    )


def explosion(s: GradientExplosion, seed: int, dtype: str) -> pd.DataFrame:
    """Fig 15a: ‖∂L/∂H_ℓ‖² in H_ℓ = σ(BN(W_ℓ H_{ℓ−1})) (BN centred, Gaussian weights of
    variance 1/d) for every (activation, B): per batch size, each run's Gaussian input
    (d × B) and readout; every network of a run shares its weights."""
    keys = chain_keys("gradients_weights", seed, s.runs)
    frames = []
    for batch in s.batches:
        x0 = gaussian("gradients_inputs", seed, s.runs, s.width, batch, dtype, batch)
        readout = gaussian("gradients_readout", seed, s.runs, s.width, batch, dtype, batch)
        for act in s.activations:
            norms = gradient_norms(x0, Layer("bn", act, "gaussian", "linear_norm_act"), s.depth, keys, readout)
            frames.append(_rows(norms, part="explosion", activation=act, batch=batch, weights="gaussian"))
    return pd.concat(frames, ignore_index=True).assign(d=s.width, depth=s.depth)


def remedy(s: GradientRemedy, seed: int, dtype: str) -> pd.DataFrame:
    """Fig 15b: ‖∂L/∂H_ℓ‖² in H_ℓ = BN(W_ℓ H_{ℓ−1}) (BN without centring, linear, n = d
    samples), per weight law; every law of a run starts from the same input and readout
    and draws its weights from the same stream."""
    keys = chain_keys("gradients_remedy_weights", seed, s.runs)
    x0 = gaussian("gradients_remedy_inputs", seed, s.runs, s.width, s.width, dtype)
    readout = gaussian("gradients_remedy_readout", seed, s.runs, s.width, s.width, dtype)
    frames = [
        _rows(
            gradient_norms(x0, Layer("bn_uncentred", "linear", law, "linear_norm_act"), s.depth, keys, readout),
            part="remedy",
            activation="linear",
            batch=s.width,
            weights=law,
        )
        for law in s.weights
    ]
    return pd.concat(frames, ignore_index=True).assign(d=s.width, depth=s.depth)


def gradients(s: Gradients, seed: int, dtype: str) -> pd.DataFrame:
    """Fig 15: one row per (part, activation, batch, weight law, run, layer ℓ = 0..depth)
    with ‖∂L/∂H_ℓ‖²_F (``grad_sq``), the width d and the depth."""
    return pd.concat([explosion(s.explosion, seed, dtype), remedy(s.remedy, seed, dtype)], ignore_index=True)
