"""The random-matrix experiments of Figs 2, 3, 8 and 9, as tidy tables.

Each function runs one batched simulation with ``bnrank.chain.run_chains`` and
returns what it measured, one row per (run, chain, layer); the figure tables are
built from these by ``bnrank.tables``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from bnrank.chain import DTYPES, Chain, batch_norm, run_chains
from bnrank.random import draw, run_keys
from bnrank.rank import eigenvalues, rank_notions
from bnrank.theory import moments

NETWORK_NAMES = {"bn": "bn", "none": "vanilla"}
# first spawn-key entry of each experiment's random streams
_DEPTH_KEY, _WIDTH_KEY, _SPECTRUM_KEY = 2, 3, 4


def _gaussian(keys: np.ndarray, rows: int, cols: int, dtype: str) -> np.ndarray:
    """One standard Gaussian (rows × cols) matrix per run key."""
    return draw(keys, "gaussian", 1, rows * cols)[0].reshape(len(keys), rows, cols).astype(DTYPES[dtype])


def _rows(layer: int, values: dict[str, np.ndarray], index: dict[str, Sequence]) -> list[dict]:
    """Flatten per-(run, chain) tensors into table rows."""
    runs, chains = next(iter(values.values())).shape
    flat = {k: v.reshape(runs, chains).tolist() for k, v in values.items()}
    return [
        {"layer": layer, "run": r, **{k: vals[c] for k, vals in index.items()}, **{k: v[r][c] for k, v in flat.items()}}
        for r in range(runs)
        for c in range(chains)
    ]


def depth_ranks(
    width: int,
    batch: int,
    runs: int,
    layers: int,
    measure_every: int,
    activations: Sequence[str],
    weights: str,
    center: bool,
    seed: int,
    taus: Sequence[float],
    eig_threshold: float,
    dtype: str = "float64",
) -> pd.DataFrame:
    """Fig 2: every rank notion of BN and vanilla chains (γ = ∞) over depth.

    Gaussian inputs X ∈ R^{width×batch}; one BN and one vanilla chain per activation,
    all four sharing each run's input and weights. Measured at depth 0 (the input),
    every ``measure_every`` layers and at the last layer.
    """
    chains = [Chain(norm, act) for act in activations for norm in ("bn", "none")]
    x0 = _gaussian(run_keys(seed, runs, _DEPTH_KEY, 0), width, batch, dtype)
    record = sorted({*range(0, layers + 1, measure_every), layers})
    index = {
        "network": [NETWORK_NAMES[c.normalization] for c in chains],
        "activation": [c.activation for c in chains],
    }
    rows = []
    keys = run_keys(seed, runs, _DEPTH_KEY, 1)
    for layer, H in run_chains(x0, chains, layers, record, keys, weights, center, label="fig2"):
        rows += _rows(layer, rank_notions(H, taus, eig_threshold), index)
    table = pd.DataFrame(rows).rename(columns={"layer": "depth"}).assign(d=width)
    return table.sort_values(["activation", "network", "run", "depth"], ignore_index=True)


def width_chains(
    width: int,
    gammas: Sequence[float],
    steps: int,
    burn_in: int,
    sample_every: int,
    moment_every: int,
    runs: int,
    weights: str,
    center: bool,
    seed: int,
    taus: Sequence[float],
    eig_threshold: float,
    dtype: str = "float64",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Figs 3a, 8, 9: linear BN chains of one width, one per γ, from M₀ = I (N = d).

    After ``burn_in`` layers, records every rank notion each ``sample_every`` layers and
    the Lemma-7 functionals of M each ``moment_every`` layers. Returns (ranks, moments).
    """
    chains = [Chain("bn", "linear", g) for g in gammas]
    x0 = np.broadcast_to(np.eye(width, dtype=DTYPES[dtype]), (runs, width, width))
    rank_steps = set(range(sample_every, steps + 1, sample_every))
    moment_steps = set(range(moment_every, steps + 1, moment_every))
    record = [ell for ell in sorted(rank_steps | moment_steps) if ell > burn_in]
    index = {"gamma": list(gammas)}
    ranks, stats = [], []
    keys = run_keys(seed, runs, _WIDTH_KEY, width)
    for layer, H in run_chains(x0, chains, steps, record, keys, weights, center, label="figs 3a, 8, 9"):
        if layer in moment_steps:
            stats += _rows(layer, moments(H), index)
        if layer in rank_steps:
            ranks += _rows(layer, rank_notions(H, taus, eig_threshold), index)
    return (pd.DataFrame(t).assign(d=width) for t in (ranks, stats))


def collinear_spectrum(
    width: int,
    gamma: float,
    layers: int,
    runs: int,
    noise: float,
    top: int,
    weights: str,
    center: bool,
    seed: int,
    dtype: str = "float64",
) -> pd.DataFrame:
    """Fig 3b: the ``top`` eigenvalues of M_ℓ, ℓ = 0..layers, from nearly collinear inputs.

    Input per run: X = x gᵀ + √noise · E (N = d) with random signs x ∈ {±1}^d and
    standard Gaussian g and E, so that XXᵀ/N ≈ x xᵀ + noise · I: almost rank one, with
    unit diagonal. X is batch-normalised before layer 0, like every later layer.
    """
    signs = np.sign(draw(run_keys(seed, runs, _SPECTRUM_KEY, 0), "uniform", 1, width)[0])[:, :, None]
    collinear = signs * _gaussian(run_keys(seed, runs, _SPECTRUM_KEY, 1), 1, width, dtype)
    x0 = batch_norm(collinear + np.sqrt(noise) * _gaussian(run_keys(seed, runs, _SPECTRUM_KEY, 2), width, width, dtype), center)
    rows = []
    chain = Chain("bn", "linear", gamma)
    keys = run_keys(seed, runs, _SPECTRUM_KEY, 3)
    for layer, H in run_chains(x0, [chain], layers, range(layers + 1), keys, weights, center, label="fig3b"):
        lam = eigenvalues(H[:, 0])[:, :top]
        rows += [
            {"run": r, "layer": layer, "index": i + 1, "eigenvalue": v}
            for r, run_lam in enumerate(lam.tolist())
            for i, v in enumerate(run_lam)
        ]
    return pd.DataFrame(rows)
