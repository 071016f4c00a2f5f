import math

import numpy as np
import pandas as pd

from bnrank import claims, tables


def status(rows, claim):
    return next(r["status"] for r in rows if r["claim"] == claim)


def fig2_table(vanilla_final):
    rows = []
    for net, ranks in (("bn", [32, 10, 9]), ("vanilla", [32, 3, vanilla_final])):
        for run in range(2):
            rows += [
                {"network": net, "activation": "linear", "run": run, "depth": depth, "rank": r, "d": 32}
                for depth, r in zip((0, 1000, 2000), ranks, strict=True)
            ]
    return pd.DataFrame(rows)


def test_fig2_claims_hold_and_fail():
    rows = claims.fig2(fig2_table(1), vanilla_max_rank=2, bn_min_rank_over_sqrt_d=1)
    assert status(rows, "vanilla_rank_collapses[linear]") == "holds"
    assert status(rows, "bn_rank_above_sqrt_d[linear]") == "holds"
    rows = claims.fig2(fig2_table(3), vanilla_max_rank=2, bn_min_rank_over_sqrt_d=2)
    assert status(rows, "vanilla_rank_collapses[linear]") == "fails"
    assert status(rows, "bn_rank_above_sqrt_d[linear]") == "fails"  # 9 < 2·√32


def test_fig3_slope_and_single_width():
    d = np.array([8, 16, 32, 64])
    a = pd.DataFrame({"panel": "a", "d": d, "gamma": math.inf, "rank": 1.5 * np.sqrt(d)})
    rows = claims.fig3(a, slope=[0.45, 0.55], min_rank_over_sqrt_d=1, rise_layer=20, rise_factor=100)
    assert status(rows, "rank_grows_like_sqrt_d[gamma=inf]") == "holds"
    assert status(rows, "rank_above_sqrt_d[gamma=inf]") == "holds"
    rows = claims.fig3(a.iloc[:1], slope=[0.45, 0.55], min_rank_over_sqrt_d=1, rise_layer=20, rise_factor=100)
    assert status(rows, "rank_grows_like_sqrt_d[gamma=inf]") == "not evaluated"


def test_fig8_and_fig9_from_tables_of_chain_moments():
    # two widths, constant moments: α = diag_sq / tr_m3
    moments = [
        pd.DataFrame({"d": d, "gamma": 1.0, "run": 0, "layer": [100, 200], "frob2": d**1.5, "diag_sq": a, "tr_m3": 1.0})
        for d, a in ((16, 0.85), (64, 0.8))
    ]
    t8 = tables.fig8(moments, points=10)
    assert set(t8.columns) >= {"d", "gamma", "L", "alpha"}
    rows = claims.fig8(t8, max_alpha=0.9, min_width=10)
    assert status(rows, "alpha_below_bound[gamma=1]") == "holds"
    assert status(rows, "alpha_decreases_with_d[gamma=1]") == "holds"
    t9 = tables.fig9(moments)
    assert set(t9.columns) >= {"d", "gamma", "frob2", "bound"}
    rows = claims.fig9(t9, slope=[1.4, 1.6])
    assert status(rows, "frob2_grows_like_d^1.5[gamma=1]") == "holds"
    assert status(rows, "frob2_below_lemma13_bound[gamma=1]") == "holds"


def test_check_and_summary_carry_the_note():
    frame = claims.check(
        claims.fig2, fig2_table(1), {"vanilla_max_rank": 2, "bn_min_rank_over_sqrt_d": 1}, note="stand-in"
    )
    assert list(frame.columns) == claims.COLUMNS
    assert (frame["note"] == "stand-in").all()
    text = claims.summary({"fig2": frame}, title="Claims")
    assert "2 holds, 0 fails, 0 not evaluated" in text
    assert "_Note: stand-in_" in text
