"""Fig 16 (beyond the paper): the isometry measure, the rate fit, the chains' limits, and
hand-made tables for every claim (registered in tests/test_claims.py: each holds on
``fig16_table`` and fails on its entry of ``BREAKS``)."""

import math

import numpy as np
import pandas as pd
import pytest
import torch

from bnrank.chains.isometry import isometry, isometry_gap
from bnrank.chains.mean_field import floor, hermite_constants
from bnrank.settings import Isometry
from bnrank.tables import geometric_rate

THRESHOLDS = {"rate_tolerance": 0.1, "min_kept_fraction": 0.5}


def test_the_gap_is_zero_for_orthogonal_columns_of_equal_norm_and_log_of_the_means_otherwise():
    q = torch.linalg.qr(torch.randn(16, 4, dtype=torch.float64))[0]
    assert isometry_gap(3 * q).abs().item() < 1e-12
    h = q * torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)  # eigenvalues of HᵀH: 1, 4, 9, 16
    lam = np.array([1.0, 4.0, 9.0, 16.0])
    assert isometry_gap(h).item() == pytest.approx(math.log(lam.mean()) - np.log(lam).mean(), rel=1e-12)


def test_the_rate_fit_recovers_a_geometric_decay_and_stops_at_the_floor():
    layers = np.arange(20)
    gaps = np.maximum(0.5 * 0.6**layers, 1e-3)
    rate, first, last = geometric_rate(layers, gaps, fit_from=2, above=1e-2)
    assert rate == pytest.approx(0.6, rel=1e-9) and (first, last) == (2, 7)
    assert math.isnan(geometric_rate(layers, gaps, fit_from=2, above=1.0)[0])


def test_beta_is_one_for_linear_and_lns_centring_matters_only_where_the_mean_is_not_zero():
    assert hermite_constants("linear")["beta_squared"] == pytest.approx(1.0, abs=1e-12)
    assert hermite_constants("relu")["gaussian_mean"] == pytest.approx(1 / math.sqrt(2 * math.pi), rel=1e-10)
    assert hermite_constants("relu")["beta"] == pytest.approx((1 / 4) / (1 / 2 - 1 / (2 * math.pi)), rel=1e-10)
    assert abs(hermite_constants("tanh")["gaussian_mean"]) < 1e-12


def test_linear_chains_keep_their_gap_and_a_layernorm_relu_chain_falls_to_the_floor():
    s = Isometry(
        width=256,
        samples=4,
        layers=25,
        runs=2,
        noise=1.0,
        norms=("ln",),
        activations=("linear", "relu"),
        weights="gaussian",
    )
    t = isometry(s, 0, "float64").groupby(["activation", "layer"])["neg_log_isometry"].mean()
    assert t["linear"][25] > 0.5 * t["linear"][1]
    assert t["relu"][25] < 10 * floor(256, 4) < t["relu"][1]


def fig16_table(rates=None, ends=None):
    """Panel b of a table: LN and RMS chains of linear, ReLU and tanh; ``rates`` and ``ends``
    override (norm, activation)'s fitted rate and last-layer −log I."""
    consts = {"linear": (0.0, 1.0), "relu": (0.4, 0.538), "tanh": (0.0, 0.866)}
    good = {("ln", "linear"): (1.0, 0.3), ("ln", "relu"): (0.55, 0.002), ("ln", "tanh"): (0.88, 0.01)}
    good |= {("rms", "linear"): (1.0, 0.3), ("rms", "relu"): (1.03, 2.0), ("rms", "tanh"): (0.87, 0.01)}
    rows = []
    for (norm, act), (rate, end) in good.items():
        mean, b2 = consts[act]
        rate = (rates or {}).get((norm, act), rate)
        end = (ends or {}).get((norm, act), end)
        rows.append(
            {"panel": "b", "norm": norm, "activation": act, "rate": rate, "fit_first": 2, "fit_last": 9}
            | {"gaussian_mean": mean, "beta": math.sqrt(b2), "beta_squared": b2, "start": 0.2, "end": end}
            | {"last_layer": 40, "runs": 4, "d": 1024, "n": 4, "floor": floor(1024, 4)}
        )
    return pd.DataFrame(rows)


BREAKS = [
    ("fig16", "rate_is_beta_squared[ln,relu]", lambda: fig16_table(rates={("ln", "relu"): 0.75}), "too slow"),
    ("fig16", "rate_is_beta_squared[ln,tanh]", lambda: fig16_table(rates={("ln", "tanh"): 0.6}), "too fast"),
    ("fig16", "rate_is_beta_squared[rms,tanh]", lambda: fig16_table(rates={("rms", "tanh"): 1.0}), "no decay"),
    ("fig16", "no_isometry[ln,linear]", lambda: fig16_table(ends={("ln", "linear"): 0.01}), "linear decays"),
    ("fig16", "no_isometry[rms,linear]", lambda: fig16_table(ends={("rms", "linear"): 0.05}), "linear decays"),
    ("fig16", "no_isometry[rms,relu]", lambda: fig16_table(ends={("rms", "relu"): 0.002}), "RMS ReLU isometric"),
]
