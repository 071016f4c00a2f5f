"""The random-matrix simulations of Figs 2, 3, 8 and 9, as tidy tables.

Each function runs one batched simulation with ``bnrank.chains.chain.run_chains``,
from its settings section of ``chains`` in the config, and returns what it measured,
one row per (run, chain, layer); the figure tables are built from these by
``bnrank.tables``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from bnrank.chains.chain import DTYPES, Chain, batch_norm, run_chains
from bnrank.chains.random import draw
from bnrank.chains.theory import moments
from bnrank.rank import eigenvalues, rank_notions
from bnrank.settings import DepthSweep, RankNotions, Spectrum, WidthSweep
from bnrank.streams import chain_keys

NETWORK_NAMES = {"bn": "bn", "none": "vanilla"}


def gaussian_matrices(keys: np.ndarray, rows: int, cols: int, dtype: str) -> np.ndarray:
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


def depth_sweep(sweep: DepthSweep, notions: RankNotions, seed: int, dtype: str) -> pd.DataFrame:
    """Fig 2: every rank notion of BN and vanilla chains (γ = ∞) over depth.

    Gaussian inputs X ∈ R^{width×batch}; one BN and one vanilla chain per activation,
    all sharing each run's input and weights. Measured at depth 0 (the input), every
    ``measure_every`` layers and at the last layer.
    """
    chains = [Chain(norm, act) for act in sweep.activations for norm in ("bn", "none")]
    x0 = gaussian_matrices(chain_keys("depth_sweep_inputs", seed, sweep.runs), sweep.width, sweep.batch, dtype)
    record = sorted({*range(0, sweep.layers + 1, sweep.measure_every), sweep.layers})
    index = {
        "network": [NETWORK_NAMES[c.norm] for c in chains],
        "activation": [c.activation for c in chains],
    }
    rows = []
    keys = chain_keys("depth_sweep_weights", seed, sweep.runs)
    states = run_chains(
        x0=x0,
        chains=chains,
        steps=sweep.layers,
        record=record,
        keys=keys,
        weights=sweep.weights,
        center=sweep.center,
        label="fig2",
    )
    for layer, H in states:
        rows += _rows(layer, rank_notions(H, notions.taus, notions.eig_threshold), index)
    table = pd.DataFrame(rows).rename(columns={"layer": "depth"}).assign(d=sweep.width)
    return table.sort_values(["activation", "network", "run", "depth"], ignore_index=True)


def width_sweep(
    *, width: int, sweep: WidthSweep, notions: RankNotions, seed: int, dtype: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Figs 3a, 8, 9: linear BN chains of one width, one per γ, from M₀ = I (N = d).

    After ``burn_in`` layers, records every rank notion each ``sample_every`` layers and
    the Lemma-7 functionals of M each ``moment_every`` layers. Returns (ranks, moments).
    """
    chains = [Chain("bn", "linear", g) for g in sweep.gammas]
    x0 = np.broadcast_to(np.eye(width, dtype=DTYPES[dtype]), (sweep.runs, width, width))
    rank_steps = set(range(sweep.sample_every, sweep.steps + 1, sweep.sample_every))
    moment_steps = set(range(sweep.moment_every, sweep.steps + 1, sweep.moment_every))
    record = [ell for ell in sorted(rank_steps | moment_steps) if ell > sweep.burn_in]
    index = {"gamma": list(sweep.gammas)}
    ranks, stats = [], []
    keys = chain_keys("width_sweep_weights", seed, sweep.runs, width)
    chain_states = run_chains(
        x0=x0,
        chains=chains,
        steps=sweep.steps,
        record=record,
        keys=keys,
        weights=sweep.weights,
        center=sweep.center,
        label="figs 3a, 8, 9",
    )
    for layer, H in chain_states:
        if layer in moment_steps:
            stats += _rows(layer, moments(H), index)
        if layer in rank_steps:
            ranks += _rows(layer, rank_notions(H, notions.taus, notions.eig_threshold), index)
    return (pd.DataFrame(t).assign(d=width) for t in (ranks, stats))


def nearly_collinear(
    signs: np.ndarray, inputs: np.ndarray, noise_keys: np.ndarray, width: int, batch: int, noise: float, dtype: str
) -> np.ndarray:
    """X = x gᵀ + √noise · E (R, width, batch), one per run key: random signs x ∈ {±1}^width
    (stream ``signs``), standard Gaussian g ∈ R^batch (``inputs``) and E (``noise_keys``), so
    that XXᵀ/batch ≈ x xᵀ + noise · I: almost rank one. The inputs of Figs 3b and 14."""
    x = np.sign(draw(signs, "uniform", 1, width)[0])[:, :, None]
    collinear = x * gaussian_matrices(inputs, 1, batch, dtype)
    return collinear + np.sqrt(noise) * gaussian_matrices(noise_keys, width, batch, dtype)


def spectrum(spectrum: Spectrum, seed: int, dtype: str) -> pd.DataFrame:
    """Fig 3b: the ``top`` eigenvalues of M_ℓ, ℓ = 0..layers, from nearly collinear inputs.

    Input per run: ``nearly_collinear`` with N = d, so that XXᵀ/N ≈ x xᵀ + noise · I:
    almost rank one, with unit diagonal. X is batch-normalised before layer 0, like every
    later layer.
    """
    s = spectrum
    keys = [chain_keys(p, seed, s.runs) for p in ("spectrum_signs", "spectrum_inputs", "spectrum_noise")]
    x0 = batch_norm(nearly_collinear(*keys, s.width, s.width, s.noise, dtype), s.center)
    rows = []
    chain = Chain("bn", "linear", s.gamma)
    keys = chain_keys("spectrum_weights", seed, s.runs)
    states = run_chains(
        x0=x0,
        chains=[chain],
        steps=s.layers,
        record=range(s.layers + 1),
        keys=keys,
        weights=s.weights,
        center=s.center,
        label="fig3b",
    )
    for layer, H in states:
        lam = eigenvalues(H[:, 0])[:, : s.top]
        rows += [
            {"run": r, "layer": layer, "index": i + 1, "eigenvalue": v}
            for r, run_lam in enumerate(lam.tolist())
            for i, v in enumerate(run_lam)
        ]
    return pd.DataFrame(rows)
