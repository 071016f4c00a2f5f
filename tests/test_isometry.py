"""Fig 16 (beyond the paper): the isometry measure, the rate fit, the chains' limits, and
hand-made tables for every claim (registered in tests/test_claims.py: each holds on
``fig16_table`` and fails on its entry of ``BREAKS``)."""

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch

from bnrank.chains.isometry import isometry, isometry_gap
from bnrank.chains.mean_field import (
    correlation_map,
    floor,
    gaussian_expectation,
    hermite_coefficients,
    hermite_constants,
    mean_field_isometry_gaps,
)
from bnrank.claims.chains import fig16 as fig16_claims
from bnrank.settings import Isometry
from bnrank.tables import fig16, geometric_rate

THRESHOLDS = {"rate_tolerance": 0.1, "min_kept_fraction": 0.5}
# small LayerNorm chains of a linear and a ReLU σ, which the tests vary by ``replace``
SMALL = Isometry(
    width=256,
    samples=4,
    layers=25,
    runs=2,
    noise=1.0,
    norms=("ln",),
    activations=("linear", "relu"),
    weights="gaussian",
)


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


def test_the_correlation_map_agrees_with_closed_forms():
    rho = torch.linspace(-0.9, 0.9, 37, dtype=torch.float64)
    relu = (torch.sqrt(1 - rho**2) + (math.pi - torch.arccos(rho)) * rho) / (2 * math.pi)  # E relu(u) relu(v)
    mean, square = 1 / math.sqrt(2 * math.pi), 0.5
    assert torch.allclose(correlation_map("relu", "rms")(rho), relu / square, atol=1e-8)
    assert torch.allclose(correlation_map("relu", "ln")(rho), (relu - mean**2) / (square - mean**2), atol=1e-8)
    assert torch.allclose(correlation_map("sin", "ln")(rho), torch.sinh(rho) / math.sinh(1), atol=1e-12)
    assert torch.allclose(correlation_map("linear", "ln")(rho), rho, atol=1e-12)
    small = torch.tensor([1e-6], dtype=torch.float64)  # κ'(0) = β_σ under LayerNorm
    assert (correlation_map("gelu", "ln")(small) / small).item() == pytest.approx(hermite_constants("gelu")["beta"])
    c = hermite_coefficients("tanh")  # Parseval: Σ c_k² = E σ(z)²
    assert (c**2).sum() == pytest.approx(gaussian_expectation(lambda z: torch.tanh(z) ** 2), rel=1e-10)


def test_the_mean_field_gap_starts_at_the_inputs_and_stays_for_linear_and_at_zero_for_orthogonal_inputs():
    s = replace(SMALL, layers=6, norms=("ln", "rms"))
    t = isometry(s, 0, "float64").set_index(["norm", "activation", "run", "layer"]).sort_index()
    assert np.allclose(t.xs(0, level="layer")["mean_field"], t.xs(0, level="layer")["neg_log_isometry"], atol=1e-10)
    linear = t.xs("linear", level="activation")["mean_field"].unstack("layer")
    assert np.allclose(linear.to_numpy(), linear[0].to_numpy()[:, None], atol=1e-12)
    relu = t.loc[("ln", "relu", 0), "mean_field"]
    assert (np.diff(relu.to_numpy()) < 0).all()  # LN-ReLU: correlations shrink every layer
    q = torch.linalg.qr(torch.randn(2, 32, 4, dtype=torch.float64))[0]
    assert mean_field_isometry_gaps(q, "relu", "ln", 5).abs().max().item() < 1e-12


def test_linear_chains_keep_their_gap_and_a_layernorm_relu_chain_falls_to_the_floor():
    t = isometry(SMALL, 0, "float64").groupby(["activation", "layer"])["neg_log_isometry"].mean()
    assert t["linear"][25] > 0.5 * t["linear"][1]
    assert t["relu"][25] < 10 * floor(256, 4) < t["relu"][1]


def fig16_table(rates=None, ends=None, mean_field_rates=None):
    """Panel b of a table: LN and RMS chains of linear, ReLU and tanh; ``rates``, ``ends`` and
    ``mean_field_rates`` override (norm, activation)'s fitted rate, last-layer −log I and the
    correlation map's rate (otherwise 0.03 below the good table's fitted rate)."""
    consts = {"linear": (0.0, 1.0), "relu": (0.4, 0.538), "tanh": (0.0, 0.866)}
    good = {("ln", "linear"): (1.0, 0.3), ("ln", "relu"): (0.55, 0.002), ("ln", "tanh"): (0.88, 0.01)}
    good |= {("rms", "linear"): (1.0, 0.3), ("rms", "relu"): (1.03, 2.0), ("rms", "tanh"): (0.87, 0.01)}
    rows = []
    for (norm, act), (rate, end) in good.items():
        mean, b2 = consts[act]
        mean_field_rate = (mean_field_rates or {}).get((norm, act), rate - 0.03)
        rate = (rates or {}).get((norm, act), rate)
        end = (ends or {}).get((norm, act), end)
        rows.append(
            {"panel": "b", "norm": norm, "activation": act, "rate": rate, "mean_field_rate": mean_field_rate}
            | {"fit_first": 2, "fit_last": 9}
            | {"gaussian_mean": mean, "beta": math.sqrt(b2), "beta_squared": b2, "start": 0.2, "end": end}
            | {"last_layer": 40, "runs": 4, "d": 1024, "n": 4, "floor": floor(1024, 4)}
        )
    return pd.DataFrame(rows)


BREAKS = [
    ("fig16", "rate_is_beta_squared[ln,relu]", lambda: fig16_table(rates={("ln", "relu"): 0.75}), "too slow"),
    ("fig16", "rate_is_beta_squared[ln,tanh]", lambda: fig16_table(rates={("ln", "tanh"): 0.6}), "too fast"),
    ("fig16", "rate_is_beta_squared[rms,tanh]", lambda: fig16_table(rates={("rms", "tanh"): 1.0}), "no decay"),
    ("fig16", "rate_is_kernel_map[ln,relu]", lambda: fig16_table(mean_field_rates={("ln", "relu"): 0.7}), "slower map"),
    ("fig16", "rate_is_kernel_map[ln,tanh]", lambda: fig16_table(rates={("ln", "tanh"): 0.99}), "too slow"),
    (
        "fig16",
        "rate_is_kernel_map[rms,tanh]",
        lambda: fig16_table(mean_field_rates={("rms", "tanh"): 0.7}),
        "faster map",
    ),
    ("fig16", "no_isometry[ln,linear]", lambda: fig16_table(ends={("ln", "linear"): 0.01}), "linear decays"),
    ("fig16", "no_isometry[rms,linear]", lambda: fig16_table(ends={("rms", "linear"): 0.05}), "linear decays"),
    ("fig16", "no_isometry[rms,relu]", lambda: fig16_table(ends={("rms", "relu"): 0.002}), "RMS ReLU isometric"),
]


def test_a_normalisation_without_a_correlation_map_leaves_its_claim_not_evaluated():
    s = replace(SMALL, width=64, samples=3, layers=8, norms=("ln", "bn_uncentred"), activations=("tanh",))
    table = fig16(isometry(s, 0, "float64"), fit_from=2, floor_factor=1)
    b = table[table["panel"] == "b"].set_index("norm")
    assert np.isfinite(b.loc["ln", "mean_field_rate"]) and np.isnan(b.loc["bn_uncentred", "mean_field_rate"])
    rows = {r["claim"]: r for r in fig16_claims(table, **THRESHOLDS)}
    assert rows["rate_is_kernel_map[bn_uncentred,tanh]"]["status"] == "not evaluated"
    assert rows["rate_is_kernel_map[ln,tanh]"]["status"] in ("holds", "fails")
