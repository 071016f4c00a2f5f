"""The paper's claims, checked against a figure's table.

Every check returns rows with the columns of ``COLUMNS``: the claim's id (one id per
kind of comparison), the sentence of the paper it tests (``paper``), what is measured
and what would make it fail (``statement``), the measured ``value``, the
``threshold``, the ``status`` (``holds``, ``fails`` or ``not evaluated``), the case
that decides it with its numbers (``deciding``), and the seeds or runs behind the value
(``seeds``). Each claim is one value and one comparison (``common.claim``), from which
its statement's failing condition, threshold and status follow. Thresholds come from
the config, never from here; a claim that fails is reported as failing.

Training claims are decided over seeds. A seed that diverged counts with the worst
value of its metric (infinite loss, zero accuracy, zero rank), never as missing.
Comparisons of two variants (``common.Favours``) hold when the mean favours the first
and it is better in more than ``seed_majority`` of all (seed of one, seed of the other)
pairs; no tolerance is granted to either side.

A claim read from trained networks is decided only once the figure's reference (the
variant the paper says trains) has reached the state the claim is about: its mean
training loss over the reported seeds flattened over the last ``convergence.window`` of
the run, or its training accuracy reached ``convergence.fit_accuracy``
(``common.ConvergenceTest``). Otherwise the claim is ``not evaluated``, and ``deciding``
says why, with the numbers. A reference that converged and contradicts the paper still
makes its claims fail. Claims about initialisation, or about what pretraining does to r(H)
before training, and the chains' claims are always decided.

One module per half of the package: ``chains`` (Figs 2, 3, 8, 9), ``mlp`` (Figs 1, 4,
6, 11, 12), ``cnn`` (Figs 5, 7, 10, 13); ``common`` holds the claim and its comparisons.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from bnrank.claims.chains import fig2, fig3, fig8, fig9, fig14, fig15, fig16, loglog_slope
from bnrank.claims.cnn import breaking_bn, fig7, fig10
from bnrank.claims.common import COLUMNS, STATUSES
from bnrank.claims.mlp import fig1, fig4, fig6, fig11, kendall_tau

__all__ = [
    "COLUMNS",
    "STATUSES",
    "breaking_bn",
    "check",
    "fig1",
    "fig2",
    "fig3",
    "fig4",
    "fig6",
    "fig7",
    "fig8",
    "fig9",
    "fig10",
    "fig11",
    "fig14",
    "fig15",
    "fig16",
    "kendall_tau",
    "loglog_slope",
    "summary",
]


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
        "Each claim of the paper that a figure can check, measured on this run: the sentence it tests, what is "
        "measured and what would make it fail, and the case that decides it.",
        "",
        ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES),
        "",
    ]
    for figure, rows in claims.items():
        lines += [f"## {figure}", ""]
        lines += [f"_Note: {note}_\n" for note in rows["note"].fillna("").unique() if note]
        lines += [
            "| claim | paper | statement | value | threshold | status | deciding case | seeds |",
            "|---|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r.claim} | {r.paper} | {r.statement} | {r.value:.4g} | {r.threshold} | **{r.status}** | "
            f"{r.deciding} | {r.seeds} |"
            for r in rows.fillna({"deciding": "", "seeds": ""}).itertuples()
        ]
        lines.append("")
    return "\n".join(lines)
