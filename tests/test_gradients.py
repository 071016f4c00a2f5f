"""Fig 15 (beyond the paper): the gradient norms of deep BN networks, the rate fit, and
hand-made tables for every claim (registered in tests/test_claims.py as well: each holds
on ``fig15_table`` and fails on its entry of ``BREAKS``)."""

import math

import numpy as np
import pandas as pd
import pytest
import torch

from bnrank import claims, tables
from bnrank.chains.deep import Layer, gradient_norms
from bnrank.chains.gradients import explosion, gradients, remedy
from bnrank.chains.mean_field import bn_linear_gradient_rate, bn_relu_gradient_rate_limit
from bnrank.settings import GradientExplosion, GradientRemedy, Gradients
from bnrank.streams import chain_keys

THRESHOLDS = {"rate_tolerance": 0.2, "max_orthogonal_log_rate": 0.001, "min_gaussian_log_rate": 0.01}
SMALL = Gradients(
    explosion=GradientExplosion(width=64, batches=(5, 8), activations=("linear", "relu"), depth=30, runs=2),
    remedy=GradientRemedy(width=8, depth=40, runs=2, weights=("orthogonal", "gaussian")),
)


def test_the_fit_recovers_a_geometric_growth_and_leaves_out_both_ends():
    depth, layer = 50, np.arange(51)
    grad_sq = 3.0 * 1.2 ** (depth - layer)
    grad_sq[:10] *= 100.0  # a transient at the input, then one at the readout: outside the fit
    grad_sq[-10:] /= 7.0
    assert tables.fitted_log_rate(layer, grad_sq, depth, skip=0.2) == pytest.approx(math.log(1.2), rel=1e-12)


def test_orthogonal_weights_on_an_isometric_input_never_raise_the_gradient_towards_the_input():
    """Uncentred BN maps each row z of W H, of mean square 1, to itself and its Jacobian
    projects out z; orthogonal W keeps H = √n·Q isometric. So ‖∂L/∂H_ℓ‖ can only fall
    from the readout towards the input (Meterez et al. 2024's mechanism), at any depth."""
    d, depth, runs = 16, 200, 2
    q = torch.linalg.qr(torch.randn(runs, d, d, dtype=torch.float64))[0]
    norms = gradient_norms(
        math.sqrt(d) * q,
        Layer("bn_uncentred", "linear", "orthogonal", "linear_norm_act"),
        depth,
        chain_keys("gradients_remedy_weights", 0, runs),
        torch.randn(runs, d, d, dtype=torch.float64),
    )
    assert (norms[:, :-1] <= norms[:, 1:] * (1 + 1e-9)).all()


def test_one_row_per_network_run_and_layer_and_a_run_does_not_depend_on_how_many_there_are():
    t = gradients(SMALL, 3, "float64")
    assert len(t) == 2 * 2 * 2 * 31 + 2 * 2 * 41
    assert (t["grad_sq"] > 0).all() and np.isfinite(t["grad_sq"]).all()
    one = explosion(GradientExplosion(64, (5, 8), ("linear", "relu"), 30, 1), 3, "float64")
    first = t[(t["part"] == "explosion") & (t["run"] == 0)].reset_index(drop=True)
    pd.testing.assert_frame_equal(one, first)
    one = remedy(GradientRemedy(8, 40, 1, ("orthogonal", "gaussian")), 3, "float64")
    pd.testing.assert_frame_equal(one, t[(t["part"] == "remedy") & (t["run"] == 0)].reset_index(drop=True))


def test_centred_bn_explodes_more_with_relu_than_linear_and_less_with_a_larger_batch():
    t = tables.fig15(gradients(SMALL, 3, "float64"), skip=0.2)
    rate = t[t["panel"] == "a"].groupby(["activation", "batch"])["log_rate"].mean()
    assert 0 < rate["linear"][8] < rate["linear"][5] and rate["relu"][8] > rate["linear"][8]
    a = t[t["panel"] == "a"].set_index(["activation", "batch", "run"])
    assert a.loc[("linear", 8, 0), "theory"] == bn_linear_gradient_rate(8)
    assert a.loc[("relu", 8, 0), "limit"] == bn_relu_gradient_rate_limit()
    b = t[t["panel"] == "b"]
    assert len(b) == 2 * 2 * 41 and (b["fit_from"] == 8).all() and (b["fit_to"] == 32).all()


def fig15_table(linear=None, relu=None, remedy_rates=None):
    """A table whose claims hold: panel a's linear ln rates 5% under the mean field's, ReLU
    rates falling with B to 2% over π/(π − 1); panel b's orthogonal runs flat, Gaussian
    runs growing. ``linear`` / ``relu`` ({B: rate}) and ``remedy_rates`` ({(law, run): ln
    rate}) override."""
    rows = []
    relu_rates = {4: 2.7, 8: 1.75, 32: 1.02 * bn_relu_gradient_rate_limit()} | (relu or {})
    for batch in (4, 8, 32):
        theory = bn_linear_gradient_rate(batch)
        rates = {"linear": (linear or {}).get(batch, theory**0.95), "relu": relu_rates[batch]}
        for act, rate in rates.items():
            rows += [
                {"panel": "a", "activation": act, "batch": batch, "weights": "gaussian", "run": run}
                | {"rate": rate, "log_rate": math.log(rate) + 1e-3 * (run - 0.5), "d": 256}
                | {"theory": theory if act == "linear" else math.nan, "fit_from": 20, "fit_to": 80}
                | {"limit": 1.0 if act == "linear" else bn_relu_gradient_rate_limit()}
                for run in range(2)
            ]
    good = {("orthogonal", 0): 1e-4, ("orthogonal", 1): -2e-4, ("gaussian", 0): 0.03, ("gaussian", 1): 0.02}
    for (law, run), log_rate in (good | (remedy_rates or {})).items():
        rows += [
            {"panel": "b", "activation": "linear", "batch": 100, "weights": law, "run": run, "layer": layer}
            | {"log10_grad_sq": 4.0 + log_rate * (1000 - layer) / math.log(10), "log_rate": log_rate}
            | {"rate": math.exp(log_rate), "d": 100, "fit_from": 200, "fit_to": 800}
            for layer in (0, 500, 1000)
        ]
    return pd.DataFrame(rows)


BREAKS = [
    (
        "fig15",
        "linear_rate_is_mean_field[B=4]",
        lambda: fig15_table(linear={4: 2**0.75}),
        "25% under",
    ),
    (
        "fig15",
        "linear_rate_is_mean_field[B=8]",
        lambda: fig15_table(linear={8: 1.2**0.7}),
        "30% under",
    ),
    (
        "fig15",
        "linear_rate_is_mean_field[B=32]",
        lambda: fig15_table(linear={32: bn_linear_gradient_rate(32) ** 1.25}),
        "25% over",
    ),
    (
        "fig15",
        "relu_rate_tends_to_pi_over_pi_minus_1",
        lambda: fig15_table(relu={32: 1.7}),
        "ln 1.7 is 38% over ln π/(π−1)",
    ),
    (
        "fig15",
        "relu_rate_falls_with_batch",
        lambda: fig15_table(relu={8: 1.45}),
        "B=8 below B=32",
    ),
    (
        "fig15",
        "orthogonal_gradients_bounded",
        lambda: fig15_table(remedy_rates={("orthogonal", 1): -0.005}),
        "one run shrinks by e^-5 over 1,000 layers",
    ),
    (
        "fig15",
        "gaussian_gradients_explode",
        lambda: fig15_table(remedy_rates={("gaussian", 0): 0.005}),
        "one run grows too slowly",
    ),
]


def statuses(table):
    return {r["claim"]: r["status"] for r in claims.fig15(table, **THRESHOLDS)}


def test_every_claim_holds_on_the_good_table():
    result = statuses(fig15_table())
    assert len(result) == 7 and set(result.values()) == {"holds"}, result


@pytest.mark.parametrize(("claim", "table", "why"), [b[1:] for b in BREAKS], ids=[b[3] for b in BREAKS])
def test_each_claim_fails_on_a_table_that_breaks_it(claim, table, why):
    result = statuses(table())
    assert result[claim] == "fails", why
    assert [c for c, s in result.items() if s == "fails"] == [claim]  # and only that one
