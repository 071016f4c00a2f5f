"""The paper's claims, checked against a figure's table.

Every check returns rows with columns ``claim``, ``statement``, ``value``,
``threshold`` and ``status`` (``holds``, ``fails`` or ``not evaluated``); thresholds
come from the config, never from here. A claim that fails is reported as failing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

COLUMNS = ["claim", "statement", "value", "threshold", "status", "note"]
STATUSES = ("holds", "fails", "not evaluated")


def _row(claim: str, statement: str, value: float, threshold: str, holds: bool | None) -> dict:
    status = "not evaluated" if holds is None or not np.isfinite(value) else ("holds" if holds else "fails")
    return {
        "claim": claim,
        "statement": statement,
        "value": value,
        "threshold": threshold,
        "status": status,
        "note": "",
    }


def _gamma_label(gamma: float) -> str:
    return "inf" if math.isinf(gamma) else f"{gamma:g}"


def loglog_slope(x: Sequence[float], y: Sequence[float]) -> float:
    """Least-squares slope of log y against log x (NaN with fewer than two points)."""
    x, y = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
    return float(np.polyfit(x, y, 1)[0]) if len(x) >= 2 else math.nan


def fig2(table: pd.DataFrame, vanilla_max_rank: float, bn_min_rank_over_sqrt_d: float) -> list[dict]:
    """Without BN the rank falls to about one; with BN it stays above √d at every depth."""
    rows = []
    mean = table.groupby(["activation", "network", "depth"])["rank"].mean()
    for act in table["activation"].unique():
        d = int(table.loc[table["activation"] == act, "d"].iloc[0])
        vanilla, bn = mean[act]["vanilla"], mean[act]["bn"]
        last = vanilla.index.max()
        rows.append(
            _row(
                f"vanilla_rank_collapses[{act}]",
                f"{act}: without BN the mean rank at the last depth ({last}) is about one",
                vanilla[last],
                f"<= {vanilla_max_rank:g}",
                vanilla[last] <= vanilla_max_rank,
            )
        )
        floor = bn_min_rank_over_sqrt_d * math.sqrt(d)
        rows.append(
            _row(
                f"bn_rank_above_sqrt_d[{act}]",
                f"{act}: with BN the mean rank stays above √d at every depth (value: its minimum)",
                bn.min(),
                f">= {bn_min_rank_over_sqrt_d:g}·√d = {floor:.3g}",
                bn.min() >= floor,
            )
        )
    return rows


def fig3(
    table: pd.DataFrame,
    slope: tuple[float, float],
    min_rank_over_sqrt_d: float,
    rise_layer: int,
    rise_factor: float,
) -> list[dict]:
    """3a: mean rank ∝ √d and above √d for every γ; 3b: BN amplifies small variations."""
    rows = []
    a = table[table["panel"] == "a"]
    for gamma, chains in a.groupby("gamma"):
        mean = chains.groupby("d")["rank"].mean()
        s = loglog_slope(mean.index, mean.to_numpy())
        rows.append(
            _row(
                f"rank_grows_like_sqrt_d[gamma={_gamma_label(gamma)}]",
                f"γ={_gamma_label(gamma)}: log-log slope of the mean rank against d is about 1/2",
                s,
                f"in [{slope[0]:g}, {slope[1]:g}]",
                slope[0] <= s <= slope[1] if len(mean) >= 2 else None,
            )
        )
        ratio = (mean / np.sqrt(mean.index.to_numpy(float))).min()
        rows.append(
            _row(
                f"rank_above_sqrt_d[gamma={_gamma_label(gamma)}]",
                f"γ={_gamma_label(gamma)}: the mean rank lies above √d for every d (value: min rank/√d)",
                ratio,
                f">= {min_rank_over_sqrt_d:g}",
                ratio >= min_rank_over_sqrt_d,
            )
        )
    if (table["panel"] == "b").any():
        b = table[table["panel"] == "b"].groupby(["index", "layer"])["eigenvalue"].mean()
        smallest, last = b.index.get_level_values("index").max(), b.index.get_level_values("layer").max()
        layer = min(rise_layer, last)
        rise = b[smallest][layer] / b[smallest][0]
        rows.append(
            _row(
                "small_eigenvalues_rise",
                f"3b: the {int(smallest)}th eigenvalue grows by orders of magnitude within {layer} layers "
                "(value: ratio)",
                rise,
                f">= {rise_factor:g}",
                rise >= rise_factor,
            )
        )
        fall = b[1][last] / b[1][0]
        rows.append(
            _row(
                "top_eigenvalue_falls",
                f"3b: the top eigenvalue falls over {last} layers (value: ratio of last to first)",
                fall,
                "< 1",
                fall < 1,
            )
        )
    return rows


def fig8(table: pd.DataFrame, max_alpha: float, min_width: int) -> list[dict]:
    """α_ν settles below ``max_alpha`` for d > ``min_width`` and decreases with d."""
    rows = []
    final = table.sort_values("L").groupby(["gamma", "d"])["alpha"].last()
    for gamma, alpha in final.groupby(level="gamma"):
        alpha = alpha.droplevel("gamma")
        wide = alpha[alpha.index > min_width]
        g = _gamma_label(gamma)
        rows.append(
            _row(
                f"alpha_below_bound[gamma={g}]",
                f"γ={g}: the estimated regularity constant is below {max_alpha:g} for d > {min_width} "
                "(value: its maximum)",
                wide.max() if len(wide) else math.nan,
                f"< {max_alpha:g}",
                wide.max() < max_alpha if len(wide) else None,
            )
        )
        steps = np.diff(alpha.to_numpy())
        rows.append(
            _row(
                f"alpha_decreases_with_d[gamma={g}]",
                f"γ={g}: the estimate decreases as d grows (value: largest change between neighbouring widths)",
                steps.max() if len(steps) else math.nan,
                "< 0",
                steps.max() < 0 if len(steps) else None,
            )
        )
    return rows


def fig9(table: pd.DataFrame, slope: tuple[float, float]) -> list[dict]:
    """E_ν‖M‖_F² grows like d^1.5 and stays under the Lemma-13 bound."""
    rows = []
    for gamma, t in table.sort_values("d").groupby("gamma"):
        g = _gamma_label(gamma)
        s = loglog_slope(t["d"], t["frob2"])
        rows.append(
            _row(
                f"frob2_grows_like_d^1.5[gamma={g}]",
                f"γ={g}: log-log slope of E‖M‖_F² against d is about 1.5",
                s,
                f"in [{slope[0]:g}, {slope[1]:g}]",
                slope[0] <= s <= slope[1] if len(t) >= 2 else None,
            )
        )
        ratio = (t["frob2"] / t["bound"]).max()
        rows.append(
            _row(
                f"frob2_below_lemma13_bound[gamma={g}]",
                f"γ={g}: E‖M‖_F² stays under the Lemma-13 bound for every d (value: max ratio to the bound)",
                ratio,
                "<= 1",
                ratio <= 1,
            )
        )
    return rows


def fig1(
    table: pd.DataFrame,
    vanilla_max_rank: float,
    bn_min_rank_fraction: float,
    shallow_depth: int,
    vanilla_min_drop: float,
    bn_max_drop: float,
) -> list[dict]:
    """Vanilla rank collapses with depth at init, BN's stays near full; vanilla accuracy
    drops past depth ~10 while BN's barely falls."""
    rows = []
    rank = table.dropna(subset=["rank_init"]).groupby(["network", "depth"])["rank_init"].mean()
    width = int(table["width"].iloc[0])
    deepest = rank.index.get_level_values("depth").max()
    v, b = rank["vanilla"][deepest], rank["bn"][deepest]
    rows.append(
        _row(
            "vanilla_rank_collapses",
            f"at init the vanilla net's mean rank at depth {deepest} is about one",
            v,
            f"<= {vanilla_max_rank:g}",
            v <= vanilla_max_rank,
        )
    )
    floor = bn_min_rank_fraction * width
    rows.append(
        _row(
            "bn_rank_stays_high",
            f"at init the BN net's mean rank at depth {deepest} stays near full (width {width})",
            b,
            f">= {floor:g}",
            b >= floor,
        )
    )
    acc = table.dropna(subset=["train_acc"]).groupby(["network", "depth"])["train_acc"].mean()
    for net, statement, bound, holds in (
        (
            "vanilla",
            f"vanilla training accuracy drops once the depth passes {shallow_depth} "
            f"(value: mean accuracy up to {shallow_depth} minus beyond)",
            f">= {vanilla_min_drop:g}",
            lambda x: x >= vanilla_min_drop,
        ),
        (
            "bn",
            "BN training accuracy barely falls with depth (value: shallowest minus deepest)",
            f"<= {bn_max_drop:g}",
            lambda x: x <= bn_max_drop,
        ),
    ):
        a = acc[net] if net in acc.index.get_level_values("network") else pd.Series(dtype=float)
        shallow, deep = a[a.index <= shallow_depth], a[a.index > shallow_depth]
        if net == "vanilla":
            value = shallow.mean() - deep.mean() if len(shallow) and len(deep) else math.nan
        else:
            value = a.iloc[0] - a.iloc[-1] if len(a) >= 2 else math.nan
        rows.append(
            _row(f"{net}_accuracy_vs_depth", statement, value, bound, holds(value) if np.isfinite(value) else None)
        )
    return rows


def _roles(table: pd.DataFrame) -> dict[str, str]:
    """Which variant is pretrained, BN, and plain vanilla, from the table's variant columns."""
    kinds = table.drop_duplicates("variant").set_index("variant")
    roles = {}
    for v, k in kinds.iterrows():
        role = "bn" if k["norm"] == "bn" else ("pretrained" if k["pretrain_iterations"] > 0 else "vanilla")
        roles.setdefault(role, v)
    return roles


def _depth_claims(table: pd.DataFrame, metric: str, max_slowdown_ratio: float, bn_tolerance: float) -> list[dict]:
    """Pretrained nets lose less with depth than un-pretrained ones and match BN at the deepest."""
    lower_is_better = "loss" in metric
    final = table[table["epoch"] == table["epoch"].max()].groupby(["variant", "depth"])[metric].mean()
    roles = _roles(table)
    rows = []

    def loss_with_depth(v: str) -> float:
        m = final[v]
        return (m.iloc[-1] - m.iloc[0]) if lower_is_better else (m.iloc[0] - m.iloc[-1])

    if {"pretrained", "vanilla"} <= roles.keys() and final.index.get_level_values("depth").nunique() >= 2:
        p, v = loss_with_depth(roles["pretrained"]), loss_with_depth(roles["vanilla"])
        value = p - max_slowdown_ratio * v
        rows.append(
            _row(
                f"pretraining_slows_down_less[{metric}]",
                f"final {metric} worsens less from the shallowest to the deepest net with pretraining than without "
                f"(value: pretrained's change − {max_slowdown_ratio:g} × un-pretrained's)",
                value,
                "< 0",
                value < 0,
            )
        )
    else:
        rows.append(
            _row(
                f"pretraining_slows_down_less[{metric}]",
                f"needs pretrained and un-pretrained runs at two depths or more ({metric})",
                math.nan,
                "< 0",
                None,
            )
        )
    if {"pretrained", "bn"} <= roles.keys():
        deepest = final.index.get_level_values("depth").max()
        p, b = final[roles["pretrained"]][deepest], final[roles["bn"]][deepest]
        if lower_is_better:
            value, bound, holds = p / b, f"<= {1 + bn_tolerance:g}", p <= b * (1 + bn_tolerance)
        else:
            value, bound, holds = p - b, f">= {-bn_tolerance:g}", p - b >= -bn_tolerance
        rows.append(
            _row(
                f"pretrained_matches_bn[{metric}]",
                f"at depth {deepest} the pretrained net's final {metric} matches or beats BN's",
                value,
                bound,
                holds,
            )
        )
    return rows


def fig4(table: pd.DataFrame, max_slowdown_ratio: float, bn_tolerance: float) -> list[dict]:
    """Figs 4 and 12: the claims on the final training loss."""
    return _depth_claims(table, "train_loss", max_slowdown_ratio, bn_tolerance)


def fig11(table: pd.DataFrame, max_slowdown_ratio: float, bn_tolerance: float) -> list[dict]:
    """Fig 11: the same claims on the final training accuracy and test loss."""
    return _depth_claims(table, "train_acc", max_slowdown_ratio, bn_tolerance) + _depth_claims(
        table, "test_loss", max_slowdown_ratio, bn_tolerance
    )


def kendall_tau(x: Sequence[float], y: Sequence[float]) -> float:
    """Kendall's τ-a: agreement of the orders of x and y over all pairs."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    i, j = np.triu_indices(len(x), 1)
    return float(np.mean(np.sign(x[i] - x[j]) * np.sign(y[i] - y[j]))) if len(i) else math.nan


def fig6(table: pd.DataFrame, min_order_agreement: float) -> list[dict]:
    """More pretraining: higher rank bound and faster training; the asymmetric init lowers
    BN's rank and slows it; SGD keeps the order of the initial ranks."""
    first, last = table["epoch"].min(), table["epoch"].max()
    kinds = table.drop_duplicates("variant").set_index("variant")
    r0 = table[table["epoch"] == first].groupby("variant")["lower_bound"].mean()
    r1 = table[table["epoch"] == last].groupby("variant")["lower_bound"].mean()
    acc = table[table["epoch"] == last].groupby("variant")["train_acc"].mean()
    rows = []
    plain = kinds[kinds["norm"] == "none"].sort_values("pretrain_iterations").index
    if len(plain) >= 2:
        steps = np.diff(r0[plain].to_numpy())
        rows.append(
            _row(
                "pretraining_raises_rank",
                f"r(H) at the start grows with pretraining ({' < '.join(plain)}; value: smallest step)",
                steps.min(),
                "> 0",
                steps.min() > 0,
            )
        )
        steps = np.diff(acc[plain].to_numpy())
        rows.append(
            _row(
                "pretraining_speeds_training",
                f"final training accuracy grows with pretraining ({' < '.join(plain)}; value: smallest step)",
                steps.min(),
                "> 0",
                steps.min() > 0,
            )
        )
    bn = kinds[kinds["norm"] == "bn"]
    standard, asymmetric = bn[bn["init"] == "pytorch"].index, bn[bn["init"] == "asymmetric"].index
    if len(standard) and len(asymmetric):
        s, a = standard[0], asymmetric[0]
        rows.append(
            _row(
                "asymmetric_init_lowers_bn_rank",
                "the asymmetric init lowers BN's r(H) at the start (value: asymmetric / standard)",
                r0[a] / r0[s],
                "< 1",
                r0[a] < r0[s],
            )
        )
        rows.append(
            _row(
                "asymmetric_init_slows_bn",
                "the asymmetric init slows BN's training (value: final accuracy, asymmetric − standard)",
                acc[a] - acc[s],
                "< 0",
                acc[a] < acc[s],
            )
        )
    tau = kendall_tau(r0.to_numpy(), r1[r0.index].to_numpy())
    rows.append(
        _row(
            "sgd_keeps_rank_order",
            f"SGD keeps the order of the variants' initial r(H) to epoch {last} (value: Kendall τ)",
            tau,
            f">= {min_order_agreement:g}",
            tau >= min_order_agreement,
        )
    )
    return rows


def check(claims: Callable[..., list[dict]], table: pd.DataFrame, thresholds: dict, note: str = "") -> pd.DataFrame:
    """A figure's ``claims`` check run on its table, as a frame; ``note`` (a reduced preset's
    or a stand-in's label) goes on every row, so that no claim reads as measured at the
    paper's scale when it was not."""
    return pd.DataFrame(claims(table, **thresholds), columns=COLUMNS).assign(note=note)


def summary(claims: dict[str, pd.DataFrame], title: str = "Claims") -> str:
    """Markdown report of every figure's claims, with a count per status."""
    everything = pd.concat(claims.values(), ignore_index=True) if claims else pd.DataFrame(columns=COLUMNS)
    counts = everything["status"].value_counts()
    lines = [
        f"# {title}",
        "",
        "Each claim of the paper that a figure can check, measured on this run.",
        "",
        ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES),
        "",
    ]
    for figure, rows in claims.items():
        lines += [f"## {figure}", ""]
        lines += [f"_Note: {note}_\n" for note in rows["note"].fillna("").unique() if note]
        lines += ["| claim | statement | value | threshold | status |", "|---|---|---|---|---|"]
        lines += [
            f"| {r.claim} | {r.statement} | {r.value:.4g} | {r.threshold} | **{r.status}** |" for r in rows.itertuples()
        ]
        lines.append("")
    return "\n".join(lines)
