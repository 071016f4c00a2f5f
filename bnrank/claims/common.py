"""One claim, written once: its measured value and ONE comparison, from which its row
derives the threshold, what would make it fail, and its status.

A ``Comparison`` holds a value to a limit from the config (``at_most``, ``at_least``,
``below``, ``above``, ``within``); ``Favours`` holds a ``Preference`` of one variant
over another to the seed-majority criterion. ``claim`` turns either into a row of
``COLUMNS``; no value (None or NaN), or a reason the run could not decide it
(``undecided``), leaves the claim ``not evaluated``, here and nowhere else.
``ConvergenceTest`` gives that reason for a claim about trained networks: the figure's
reference run has not reached the state the claim is about. The guards shared by the
figures' modules (diverged seeds, empty or NaN series, the extreme over variants) are here
too.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

COLUMNS = ["claim", "paper", "statement", "value", "threshold", "status", "deciding", "seeds", "note"]
STATUSES = ("holds", "fails", "not evaluated")

Op = Literal["<=", ">=", "<", ">", "in"]
_FAILS = {"<=": "above {}", ">=": "below {}", "<": "at {} or above", ">": "at {} or below", "in": "outside {}"}
_TESTS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}


@dataclass(frozen=True)
class Comparison:
    """What a claim's value is held to: ``value <op> limit``; ``in``: ``lo <= value <= hi``.
    ``label`` names a limit computed from a setting (``0.5·√d`` for 2.83)."""

    op: Op
    limit: float | tuple[float, float]
    label: str = ""

    def __post_init__(self):
        if self.op not in _FAILS or (self.op == "in") != isinstance(self.limit, tuple):
            raise ValueError(f"no comparison {self.op!r} with limit {self.limit!r}")

    @property
    def _limit(self) -> str:
        if self.op == "in":
            return "[{:g}, {:g}]".format(*self.limit)
        return self.label or f"{self.limit:g}"

    @property
    def threshold(self) -> str:
        """'<= 0.5', '>= 0.5·√d = 2.83', 'in [1.3, 1.7]'."""
        return f"{self.op} {self._limit}" + (f" = {self.limit:.3g}" if self.label else "")

    @property
    def failing(self) -> str:
        """'fails above 0.5', 'fails below 0.5·√d', 'fails at 0 or above', 'fails outside [1.3, 1.7]'."""
        return "fails " + _FAILS[self.op].format(self._limit)

    def holds(self, value: float) -> bool:
        if self.op == "in":
            lo, hi = self.limit
            return lo <= value <= hi
        return _TESTS[self.op](value, self.limit)


def at_most(limit: float, label: str = "") -> Comparison:
    return Comparison("<=", limit, label)


def at_least(limit: float, label: str = "") -> Comparison:
    return Comparison(">=", limit, label)


def below(limit: float) -> Comparison:
    return Comparison("<", limit)


def above(limit: float) -> Comparison:
    return Comparison(">", limit)


def within(lo: float, hi: float) -> Comparison:
    return Comparison("in", (lo, hi))


@dataclass(frozen=True)
class Preference:
    """One variant against another over seeds: ``advantage``, the difference of the means
    (positive when the first is better; −inf when both means are infinite: not better),
    and ``fraction``, of all (seed of one, seed of the other) pairs, those in which the
    first is strictly better. Its claim's value is the advantage."""

    advantage: float
    fraction: float

    @classmethod
    def of(cls, ours: Sequence[float], theirs: Sequence[float], *, lower_is_better: bool) -> Preference:
        ours, theirs = np.asarray(ours, float), np.asarray(theirs, float)
        sign = -1.0 if lower_is_better else 1.0
        with np.errstate(invalid="ignore"):
            advantage = sign * (ours.mean() - theirs.mean())
            better = sign * (ours[:, None] - theirs[None, :]) > 0
        return cls(
            advantage=-math.inf if math.isnan(advantage) else float(advantage),
            fraction=float(better.mean()) if better.size else math.nan,
        )

    def __float__(self) -> float:
        return self.advantage


@dataclass(frozen=True)
class Favours:
    """What a comparison of two variants is held to: ``variant``'s advantage is > 0 **and**
    it is better in more than ``seed_majority`` of the seed pairs; no tolerance either way."""

    variant: str
    seed_majority: float

    @property
    def threshold(self) -> str:
        return f"> 0, and better in > {self.seed_majority:g} of seed pairs"

    @property
    def failing(self) -> str:
        return f"fails unless both favour {self.variant}"

    def holds(self, value: Preference) -> bool:
        return value.advantage > 0 and value.fraction > self.seed_majority


def claim(
    *,
    name: str,
    paper: str,
    measured: str,
    value: float | Preference | None,
    comparison: Comparison | Favours,
    deciding: str = "",
    seeds: str = "",
    undecided: str | None = None,
) -> dict:
    """A row of ``COLUMNS``: the claim ``name``, the ``paper``'s sentence, the statement
    (what is ``measured``; what would make it fail), the value, the threshold, the status,
    the ``deciding`` case and the ``seeds`` behind the value. The comparison decides:
    ``holds`` or ``fails``; no value (None or NaN) is ``not evaluated``, and so is a claim
    the run could not decide (``undecided``: why, e.g. ``ConvergenceTest.undecided``), whose
    value is left empty and whose deciding case is that reason."""
    number = math.nan if value is None or undecided else float(value)
    status = "not evaluated" if math.isnan(number) else ("holds" if comparison.holds(value) else "fails")
    return {
        "claim": name,
        "paper": paper,
        "statement": f"{measured}; {comparison.failing}",
        "value": number,
        "threshold": comparison.threshold,
        "status": status,
        "deciding": f"not decided: {undecided}" if undecided else deciding,
        "seeds": seeds,
        "note": "",
    }


# ---------------------------------------------------------------- when a claim about trained networks is decided


def _percent(fraction: float) -> str:
    return f"{100 * fraction:.3g}%"


@dataclass(frozen=True)
class ConvergenceTest:
    """Whether a figure's reference run (the variant the paper says trains) reached the state
    a claim about trained networks is about, from the limits of the config's
    ``convergence``: over the window its table marks (``tables.convergence_window``) the
    mean training loss over the reported seeds fell by at most ``max_relative_improvement``
    of its value at the window's start (flattened), **or** their mean training accuracy at
    the end is ≥ ``fit_accuracy`` (fitted: a fitted net's cross-entropy keeps falling towards
    0 in relative terms). A reference with a seed that diverged has reached its final state
    too: more training would not change it, so the claims are decided (the diverged seed
    counts with the worst value of its metric), never left open."""

    max_relative_improvement: float
    fit_accuracy: float

    def undecided(self, references: dict[str, pd.DataFrame]) -> str | None:
        """None when every reference run converged (or diverged), else why a claim that reads
        them cannot be decided: the worst of those that did not (no loss at the window's
        start, then the largest fall of the loss), with its numbers, and which others did not.

        ``references`` maps a name ('bn at depth 32') to that run's rows of the table, one
        or more per reported seed, with ``train_loss``, ``train_acc``, ``window_start`` and
        ``train_loss_window_start``; each seed's last row is its end."""
        pending = [p for p in (self._pending(name, runs) for name, runs in references.items()) if p]
        if not pending:
            return None
        pending.sort(key=lambda p: p[0], reverse=True)
        others = [name for _, name, _ in pending[1:]]
        return pending[0][2] + (f"; not converged either: {', '.join(others)}" if others else "")

    def _pending(self, name: str, runs: pd.DataFrame) -> tuple[float, str, str] | None:
        """None when the run converged or diverged, else (how far from it, for the worst:
        unmeasured first; its name; why not)."""
        if runs.empty:
            return math.inf, name, f"no runs of {name} in the table"
        step = "epoch" if "epoch" in runs else "iteration"
        last = runs.sort_values(step).groupby("seed").tail(1)
        diverged = next((c for c in ("diverged_epoch", "diverged_iteration") if c in last), None)
        if diverged and last[diverged].notna().any():
            return None
        accuracy = last["train_acc"].mean()
        if accuracy >= self.fit_accuracy:
            return None
        start, end = last["window_start"].iloc[0], last[step].max()
        before, after = last["train_loss_window_start"].mean(), last["train_loss"].mean()
        unfit = f"training accuracy {accuracy:.3g} < {self.fit_accuracy:g}"
        if not (np.isfinite(before) and np.isfinite(after)):
            return math.inf, name, f"{name}: no training loss at {step} {start:g} → {end:g} to tell; {unfit}"
        fell = (before - after) / before if before > 0 else 0.0
        if fell <= self.max_relative_improvement:
            return None
        share = (end - start) / end if end > 0 else 1.0
        return (
            fell,
            name,
            f"{name} still learning — training loss fell {_percent(fell)} over the last {_percent(share)} of the "
            f"run ({step} {start:g} → {end:g}; limit {_percent(self.max_relative_improvement)}), {unfit}",
        )


# ---------------------------------------------------------------- shared guards


def worst(metric: str) -> float:
    """The value a diverged seed counts with: the worst its metric can take (infinite for
    a loss, 0 for an accuracy or a rank)."""
    return math.inf if "loss" in metric else 0.0


def with_diverged(frame: pd.DataFrame, metric: str) -> pd.Series:
    """``frame[metric]``, with the worst value for rows of diverged models (MLPs record
    the epoch they diverged in, CNNs the iteration)."""
    column = next((c for c in ("diverged_epoch", "diverged_iteration") if c in frame), None)
    diverged = frame[column].notna() if column else False
    return frame[metric].mask(diverged, worst(metric))


def where_max(values: pd.Series) -> Hashable | None:
    """The index of the largest value; None when there is none (empty, or all NaN)."""
    return values.idxmax() if values.notna().any() else None


def where_min(values: pd.Series) -> Hashable | None:
    """The index of the smallest value; None when there is none (empty, or all NaN)."""
    return values.idxmin() if values.notna().any() else None


def _extreme(values: dict[str, float], pick: Callable) -> tuple[str, float]:
    missing = next((k for k, v in values.items() if pd.isna(v)), None)
    key = missing if missing is not None else pick(values, key=values.get)
    return key, values[key]


def lowest_of(values: dict[str, float]) -> tuple[str, float]:
    """The variant with the lowest value, and that value. A variant without one (NaN)
    makes the lowest unknown: it is returned, with NaN, whatever the others' values."""
    return _extreme(values, min)


def highest_of(values: dict[str, float]) -> tuple[str, float]:
    """The variant with the highest value, and that value; NaN as in ``lowest_of``."""
    return _extreme(values, max)


def gamma_label(gamma: float) -> str:
    return "inf" if math.isinf(gamma) else f"{gamma:g}"


def versus(a: float, b: float) -> str:
    """'≥' or '<': how ``a`` stands against ``b``, for a deciding case."""
    return "≥" if a >= b else "<"
