"""Figure tables: the exact numbers each figure plots, built from simulation outputs.

A figure's table is the single source of both its picture (``bnrank.plots``) and its
claims (``bnrank.claims``). Every builder takes data frames read from the simulation
files and the figure's settings, and returns one tidy frame.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from bnrank.rank import notion_column
from bnrank.theory import ergodic_average, lemma13_bound, regularity_constant


def _with_rank(frame: pd.DataFrame, rank: str, tau: float | None) -> pd.DataFrame:
    """Copy of ``frame`` with a ``rank`` column holding the plotted rank notion."""
    return frame.assign(rank=frame[notion_column(rank, tau)], rank_notion=notion_column(rank, tau))


def fig2(depth: pd.DataFrame, rank: str, tau: float | None = None) -> pd.DataFrame:
    """Rank of the last hidden layer over depth, per network, activation and run."""
    table = _with_rank(depth, rank, tau)
    first = ["network", "activation", "run", "depth", "rank", "rank_notion", "d"]
    return table[first + [c for c in table.columns if c not in first]]


def fig3(ranks: Sequence[pd.DataFrame], spectrum: pd.DataFrame, rank: str, tau: float | None = None) -> pd.DataFrame:
    """Panel a: rank samples along each (d, γ) chain; panel b: top eigenvalues over depth."""
    a = _with_rank(pd.concat(ranks, ignore_index=True), rank, tau).assign(panel="a")
    b = spectrum.assign(panel="b")
    first = ["panel", "d", "gamma", "run", "layer", "rank", "rank_notion"]
    table = pd.concat([a, b], ignore_index=True)
    return table[first + [c for c in table.columns if c not in first]]


def _log_spaced(n: int, points: int) -> np.ndarray:
    """About ``points`` indices into range(n), evenly spaced on a log scale, last included."""
    return np.unique(np.geomspace(1, n, min(points, n)).round().astype(int) - 1)


def fig8(moments: Sequence[pd.DataFrame], points: int) -> pd.DataFrame:
    """Ergodic estimate of the regularity constant α against the averaging length L."""
    curves = []
    for (d, gamma, run), chain in pd.concat(moments).groupby(["d", "gamma", "run"]):
        chain = chain.sort_values("layer")
        diag_sq, tr_m3 = ergodic_average(chain["diag_sq"].to_numpy()), ergodic_average(chain["tr_m3"].to_numpy())
        keep = _log_spaced(len(chain), points)
        curves.append(
            pd.DataFrame(
                {
                    "d": d,
                    "gamma": gamma,
                    "run": run,
                    "L": chain["layer"].to_numpy()[keep],
                    "samples": keep + 1,
                    "alpha": regularity_constant(diag_sq, tr_m3)[keep],
                    "diag_sq_avg": diag_sq[keep],
                    "tr_m3_avg": tr_m3[keep],
                }
            )
        )
    return pd.concat(curves, ignore_index=True)


def fig9(moments: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Ergodic estimate of E_ν‖M‖_F² per (d, γ), with the Lemma-13 bound and d^1.5."""
    groups = pd.concat(moments).groupby(["d", "gamma"])
    table = groups[["frob2", "diag_sq", "tr_m3"]].mean()
    table["frob2_sd"] = groups["frob2"].std()
    table["samples"] = groups.size()
    table = table.reset_index()
    table["alpha"] = regularity_constant(table["diag_sq"], table["tr_m3"])
    table["bound"] = lemma13_bound(table["alpha"], table["d"])
    table["d_pow_1_5"] = table["d"].astype(float) ** 1.5
    return table[["d", "gamma", "frob2", "bound", "alpha", "d_pow_1_5", "frob2_sd", "samples", "diag_sq", "tr_m3"]]
