"""The claims of the random-matrix chains (Figs 2, 3, 8, 9)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from bnrank.claims.common import (
    at_least,
    at_most,
    below,
    claim,
    gamma_label,
    versus,
    where_max,
    within,
)


def loglog_slope(x: Sequence[float], y: Sequence[float]) -> float:
    """Least-squares slope of log y against log x (NaN with fewer than two points)."""
    x, y = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
    return float(np.polyfit(x, y, 1)[0]) if len(x) >= 2 else math.nan


def fig2(table: pd.DataFrame, vanilla_max_rank: float, bn_min_rank_over_sqrt_d: float) -> list[dict]:
    """Without BN the rank falls to about one; with BN it stays above √d at every depth."""
    rows = []
    mean = table.groupby(["activation", "network", "depth"])["rank"].mean()
    for act in table["activation"].unique():
        t = table[table["activation"] == act]
        d, runs = int(t["d"].iloc[0]), t["run"].nunique()
        vanilla, bn = mean[act]["vanilla"], mean[act]["bn"]
        last = vanilla.index.max()
        rows.append(
            claim(
                name=f"vanilla_rank_collapses[{act}]",
                paper='Sec. 1 (Fig. 2): "the hidden representation of X collapses to a rank one matrix in vanilla '
                'networks"',
                measured=f"{act}: the vanilla chains' mean rank at the last depth",
                value=vanilla[last],
                comparison=at_most(vanilla_max_rank),
                deciding=f"depth {last}: mean rank {vanilla[last]:.3g}",
                seeds=f"{runs} runs",
            )
        )
        floor = bn_min_rank_over_sqrt_d * math.sqrt(d)
        worst = bn.idxmin()
        rows.append(
            claim(
                name=f"bn_rank_above_sqrt_d[{act}]",
                paper='Fig. 2 caption: "BN stabilizes the rank above √d"',
                measured=f"{act}: the BN chains' smallest mean rank over depths",
                value=bn.min(),
                comparison=at_least(floor, label=f"{bn_min_rank_over_sqrt_d:g}·√d"),
                deciding=f"depth {worst}: {bn.min():.3g} {versus(bn.min(), floor)} {floor:.3g}",
                seeds=f"{runs} runs",
            )
        )
    return rows


def fig3(
    table: pd.DataFrame,
    min_slope: float,
    min_rank_over_bound: float,
    rise_layer: int,
    rise_factor: float,
    max_top_ratio: float,
) -> list[dict]:
    """3a: the mean rank grows at least like √d and lies above Theorem 2's (1−τ)²·√d;
    3b: BN amplifies small variations and shrinks the largest."""
    rows = []
    a = table[table["panel"] == "a"]
    a = a.assign(d=a["d"].astype(int))  # the column is float where panel b's rows have no width
    for gamma, chains in a.groupby("gamma"):
        g = gamma_label(gamma)
        per_d = chains.groupby("d").agg(rank=("rank", "mean"), bound=("theorem2_bound", "first"))
        runs = f"{chains['run'].nunique()} runs"
        s = loglog_slope(per_d.index, per_d["rank"].to_numpy())
        rows.append(
            claim(
                name=f"rank_grows_at_least_like_sqrt_d[gamma={g}]",
                paper='Sec. 3: "the rank of linear batch-normalized networks scales with their width as √d"',
                measured=f"γ={g}: log-log slope of the mean rank against d (a lower bound)",
                value=s,
                comparison=at_least(min_slope),
                deciding=f"slope over d = {per_d.index.min()}..{per_d.index.max()}: {s:.3g}",
                seeds=runs,
            )
        )
        ratio = per_d["rank"] / per_d["bound"]
        d = ratio.idxmin()
        rows.append(
            claim(
                name=f"rank_above_theorem2_level[gamma={g}]",
                paper="Theorem 2 (Sec. 3): the mean rank_τ over depth is at least of order (1−τ)²·√d",
                measured=f"γ={g}: the smallest ratio over d of the mean rank to (1−τ)²·√d",
                value=ratio.min(),
                comparison=at_least(min_rank_over_bound),
                deciding=f"d={d}: {per_d['rank'][d]:.3g} {versus(ratio.min(), min_rank_over_bound)} "
                f"{min_rank_over_bound * per_d['bound'][d]:.3g}",
                seeds=runs,
            )
        )
    if (table["panel"] == "b").any():
        spectrum = table[table["panel"] == "b"]
        b = spectrum.groupby(["index", "layer"])["eigenvalue"].mean()
        runs = f"{spectrum['run'].nunique()} runs"
        smallest, last = b.index.get_level_values("index").max(), b.index.get_level_values("layer").max()
        layer = min(rise_layer, last)
        start, end = b[smallest][0], b[smallest][layer]
        rows.append(
            claim(
                name="small_eigenvalues_rise",
                paper='Fig. 3 caption: "Bn quickly amplifies smaller variations in the data"',
                measured=f"3b: growth factor of the mean {int(smallest)}th eigenvalue within {layer} layers",
                value=end / start,
                comparison=at_least(rise_factor),
                deciding=f"λ_{int(smallest)}: {start:.3g} at layer 0, {end:.3g} at layer {layer}",
                seeds=runs,
            )
        )
        start, end = b[1][0], b[1][last]
        rows.append(
            claim(
                name="top_eigenvalue_falls",
                paper='Fig. 3 caption: "while reducing the largest one"',
                measured=f"3b: the mean top eigenvalue after {last} layers as a fraction of its start (λ₁(M₀) ≈ d, "
                "the largest possible)",
                value=end / start,
                comparison=at_most(max_top_ratio),
                deciding=f"λ_1: {start:.3g} at layer 0, {end:.3g} at layer {last}",
                seeds=runs,
            )
        )
    return rows


def fig8(table: pd.DataFrame, max_alpha: float, min_width: int) -> list[dict]:
    """α_ν settles below ``max_alpha`` for d > ``min_width`` and decreases with d."""
    rows = []
    final = table.sort_values("L").groupby(["gamma", "d"])["alpha"].last()
    runs = f"{table['run'].nunique()} runs"
    for gamma, alpha in final.groupby(level="gamma"):
        alpha = alpha.droplevel("gamma")
        wide = alpha[alpha.index > min_width]
        g = gamma_label(gamma)
        top = where_max(wide)
        rows.append(
            claim(
                name=f"alpha_below_bound[gamma={g}]",
                paper='App. (Fig. 8): "the regularity constant of the invariant distribution is less than 0.9 for '
                'd > 10"',
                measured=f"γ={g}: the largest final estimate of α over d > {min_width}",
                value=wide.max(),
                comparison=below(max_alpha),
                deciding=f"d={top}: {wide.max():.4g}" if top is not None else "",
                seeds=runs,
            )
        )
        steps = pd.Series(np.diff(alpha.to_numpy()), index=alpha.index[1:])
        step_to = where_max(steps)
        previous = alpha.index[list(alpha.index).index(step_to) - 1] if step_to is not None else None
        rows.append(
            claim(
                name=f"alpha_decreases_with_d[gamma={g}]",
                paper='App.: "the regularity constant is decreasing with respect to d"',
                measured=f"γ={g}: the largest change of the final estimate from one width to the next",
                value=steps.max(),
                comparison=below(0),
                deciding=f"d={previous}→{step_to}: {alpha[previous]:.4g} → {alpha[step_to]:.4g}" if step_to else "",
                seeds=runs,
            )
        )
    return rows


def fig9(table: pd.DataFrame, slope: tuple[float, float]) -> list[dict]:
    """E_ν‖M‖_F² grows like d^1.5 and stays under the Lemma-13 bound."""
    rows = []
    for gamma, t in table.sort_values("d").groupby("gamma"):
        g = gamma_label(gamma)
        s = loglog_slope(t["d"], t["frob2"])
        samples = f"{int(t['samples'].min())}+ samples per width" if "samples" in t else ""
        rows.append(
            claim(
                name=f"frob2_grows_like_d^1.5[gamma={g}]",
                paper='App. (Lemma 13): "an upper-bound O(d^1.5) is achievable on the Frobenius norm"',
                measured=f"γ={g}: log-log slope of E‖M‖_F² against d",
                value=s,
                comparison=within(*slope),
                deciding=f"slope over d = {t['d'].min()}..{t['d'].max()}: {s:.3g}",
                seeds=samples,
            )
        )
        ratio = t["frob2"] / t["bound"]
        worst = t.loc[ratio.idxmax()]
        rows.append(
            claim(
                name=f"frob2_below_lemma13_bound[gamma={g}]",
                paper='App.: "we experimentally validate the result of the last lemma in Fig. 9"',
                measured=f"γ={g}: the largest ratio over d of E‖M‖_F² to the Lemma-13 bound",
                value=ratio.max(),
                comparison=at_most(1),
                deciding=f"d={int(worst['d'])}: {worst['frob2']:.4g} vs bound {worst['bound']:.4g}",
                seeds=samples,
            )
        )
    return rows
