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
    return {"claim": claim, "statement": statement, "value": value, "threshold": threshold, "status": status, "note": ""}


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
    slope: Sequence[float],
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
                f"3b: the {int(smallest)}th eigenvalue grows by orders of magnitude within {layer} layers (value: ratio)",
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
                f"γ={g}: the estimated regularity constant is below {max_alpha:g} for d > {min_width} (value: its maximum)",
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


def fig9(table: pd.DataFrame, slope: Sequence[float]) -> list[dict]:
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


CHECKS: dict[str, Callable[..., list[dict]]] = {"fig2": fig2, "fig3": fig3, "fig8": fig8, "fig9": fig9}


def check(figure: str, table: pd.DataFrame, thresholds: dict, note: str = "") -> pd.DataFrame:
    """Claims of ``figure`` as a frame; ``note`` (a reduced preset's or a stand-in's label)
    goes on every row, so that no claim reads as measured at the paper's scale when it was not."""
    return pd.DataFrame(CHECKS[figure](table, **thresholds), columns=COLUMNS).assign(note=note)


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
