"""Fig 14 (bnrank.chains.orthogonality, tables.fig14, claims.fig14): the orthogonality gap,
its simulation, and every claim both ways."""

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
import torch

from bnrank import claims, tables
from bnrank.chains.deep import NORMALISATIONS
from bnrank.chains.orthogonality import max_gap, orthogonality, orthogonality_gap
from bnrank.rank import rank_notions
from bnrank.settings import Orthogonality

SMALL = Orthogonality(
    widths=(16, 64),
    batch=4,
    layers=12,
    runs=2,
    noise=1e-5,
    norms=("bn_uncentred", "none"),
    activations=("linear", "relu"),
    weights="gaussian",
    order="linear_act_norm",
)
THRESHOLDS = {"vanilla_min_fraction": 0.9, "early_layer": 5, "max_early_ratio": 0.5, "slope": (-0.75, -0.25)}


@pytest.mark.parametrize("d, n", [(16, 4), (4, 16), (8, 8)])
def test_the_gap_is_the_lower_bound_rank_of_the_project(d, n):
    """V(H)² = 1/r(H) − 1/n, r the `lower_bound` rank notion, whichever of d and n is larger."""
    H = torch.randn(5, d, n, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    r = rank_notions(H)["lower_bound"]
    assert torch.allclose(orthogonality_gap(H).square(), 1 / r - 1 / n, atol=1e-12)


def test_the_gap_of_collinear_and_of_orthogonal_samples():
    g = torch.randn(6, dtype=torch.float64)
    collinear = torch.randn(10, 1, dtype=torch.float64) * g
    assert orthogonality_gap(collinear).item() == pytest.approx(max_gap(6), abs=1e-12)
    orthogonal = 3.0 * torch.eye(10, dtype=torch.float64)[:, :6]  # orthogonal samples of equal norm
    assert orthogonality_gap(orthogonal).item() == pytest.approx(0, abs=1e-12)
    assert orthogonality_gap(7.0 * collinear).item() == pytest.approx(orthogonality_gap(collinear).item())


def test_a_feature_whose_relus_are_all_dead_stays_zero_through_bn():
    h = torch.tensor([[0.0, 0.0, 0.0], [1.0, 2.0, 0.0]], dtype=torch.float64)
    out = NORMALISATIONS["bn_uncentred"](h)
    assert torch.equal(out[0], torch.zeros(3, dtype=torch.float64))
    assert out[1].square().mean().item() == pytest.approx(1)


@pytest.fixture(scope="module")
def small():
    return orthogonality(SMALL, seed=3, dtype="float64")


def test_the_simulation_is_tidy_and_starts_from_nearly_collinear_inputs(small):
    assert len(small) == 2 * 2 * 2 * 2 * (SMALL.layers + 1)
    start = small[small["layer"] == 0]
    assert (start["gap"] > 0.999 * max_gap(SMALL.batch)).all()  # noise 1e-5: all but collinear
    assert start.groupby(["d", "run"])["gap"].nunique().eq(1).all()  # every chain of a run starts alike


def test_a_widths_and_a_runs_chains_do_not_depend_on_the_others(small):
    alone = orthogonality(dataclasses.replace(SMALL, widths=(64,), runs=1, layers=6), seed=3, dtype="float64")
    same = small[(small["d"] == 64) & (small["run"] == 0) & (small["layer"] <= 6)].reset_index(drop=True)
    pd.testing.assert_frame_equal(alone, same)


def test_bn_orthogonalizes_and_the_unnormalised_linear_chain_keeps_its_gap(small):
    last = small[small["layer"] == SMALL.layers].groupby(["norm", "activation", "d"])["gap"].mean()
    assert last["none"]["linear"].min() > 0.99 * max_gap(SMALL.batch)  # a linear map keeps X near collinear
    assert last["bn_uncentred"]["linear"].max() < 0.5 * max_gap(SMALL.batch)
    assert last["bn_uncentred"]["linear"][64] < last["bn_uncentred"]["linear"][16]


# ---------------------------------------------------------------- the table and the claims


def raw_table(vanilla: float, early: float, level_exponent: float) -> pd.DataFrame:
    """A hand-built simulation output, n = 4: the unnormalised gap at ``vanilla`` × its maximum
    throughout; the BN gap at its maximum at layer 0, ``early`` × the maximum for layers 1-5,
    then 0.4 · (d/16)^level_exponent (the same in both runs)."""
    top, rows = max_gap(4), []
    for d in (16, 64, 256):
        for run in range(2):
            for layer in range(11):
                level = 0.4 * (d / 16) ** level_exponent
                bn = top if layer == 0 else (early * top if layer <= 5 else level)
                for norm, gap in (("bn_uncentred", bn), ("none", vanilla * top)):
                    rows.append({"d": d, "norm": norm, "activation": "linear", "run": run, "layer": layer, "gap": gap})
    return pd.DataFrame(rows).assign(n=4)


def fig14_table(vanilla: float = 0.98, early: float = 0.3, level_exponent: float = -0.5) -> pd.DataFrame:
    """Fig 14's table of ``raw_table``: by default one where every claim holds (for tests/test_claims.py)."""
    return tables.fig14(raw_table(vanilla, early, level_exponent), level_from=0.6)


LEVEL = "bn_level_shrinks_like_d^-1/2[bn_uncentred/linear]"
# (figure, claim, a table where that claim must fail, why), for tests/test_claims.py
BREAKS = [
    ("fig14", "vanilla_gap_at_maximum[linear]", lambda: fig14_table(vanilla=0.5), "half the maximum"),
    ("fig14", "bn_gap_falls[bn_uncentred/linear]", lambda: fig14_table(early=0.8), "0.8 × the input's at layer 5"),
    ("fig14", LEVEL, lambda: fig14_table(level_exponent=0.0), "a level that does not shrink with d"),
    ("fig14", LEVEL, lambda: fig14_table(level_exponent=-1.0), "d^-1: shrinks too fast"),
]


def checked(table: pd.DataFrame) -> pd.DataFrame:
    return claims.check(claims.fig14, table, THRESHOLDS).set_index("claim")


def test_the_table_fits_the_level_against_width():
    table = tables.fig14(raw_table(vanilla=1.0, early=0.1, level_exponent=-0.5), level_from=0.5)
    b = table[(table["panel"] == "b") & (table["norm"] == "bn_uncentred")]
    assert (b["level_from_layer"] == 5).all()  # the mean over layers 5..10: 0.1·max at 5, the level after
    assert b["slope"].iloc[0] == pytest.approx(
        math.log(b[b["d"] == 256]["level"].mean() / b[b["d"] == 16]["level"].mean()) / math.log(16)
    )
    exact = fig14_table()
    eb = exact[(exact["panel"] == "b") & (exact["norm"] == "bn_uncentred")]
    assert (eb["level_from_layer"] == 6).all()
    assert eb["slope"].iloc[0] == pytest.approx(-0.5)
    assert np.allclose(eb["fit"], eb["level"])


def test_the_claims_hold_where_bn_orthogonalizes_as_the_paper_says():
    c = checked(fig14_table())
    assert set(c.index) == {"vanilla_gap_at_maximum[linear]", "bn_gap_falls[bn_uncentred/linear]", LEVEL}
    assert (c["status"] == "holds").all(), c[["value", "status"]]
    assert c.loc[LEVEL, "value"] == pytest.approx(-0.5)
    assert c.loc["bn_gap_falls[bn_uncentred/linear]", "value"] == pytest.approx(0.3)
    assert c.loc["vanilla_gap_at_maximum[linear]", "value"] == pytest.approx(0.98)


@pytest.mark.parametrize(("claim", "table", "why"), [b[1:] for b in BREAKS], ids=[b[3] for b in BREAKS])
def test_each_claim_fails_where_it_does_not_hold(claim, table, why):
    c = checked(table())
    assert c.loc[claim, "status"] == "fails", why
    assert (c.drop(index=claim)["status"] == "holds").all()  # one claim broken at a time
