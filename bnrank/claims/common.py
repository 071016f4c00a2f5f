"""One claim, written once: its measured value and ONE comparison, from which its row
derives the threshold, what would make it fail, and its status.

A ``Comparison`` holds a value to a limit from the config (``at_most``, ``at_least``,
``below``, ``above``, ``within``); ``Favours`` holds a ``Preference`` of one variant
over another to the seed-majority criterion. ``claim`` turns either into a row of
``COLUMNS``; no value (None or NaN) leaves the claim ``not evaluated``, here and nowhere
else. The guards shared by the figures' modules (diverged seeds, empty or NaN series,
the extreme over variants) are here too.
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
) -> dict:
    """A row of ``COLUMNS``: the claim ``name``, the ``paper``'s sentence, the statement
    (what is ``measured``; what would make it fail), the value, the threshold, the status,
    the ``deciding`` case and the ``seeds`` behind the value. The comparison decides:
    ``holds`` or ``fails``; no value (None or NaN) is ``not evaluated``."""
    number = math.nan if value is None else float(value)
    status = "not evaluated" if math.isnan(number) else ("holds" if comparison.holds(value) else "fails")
    return {
        "claim": name,
        "paper": paper,
        "statement": f"{measured}; {comparison.failing}",
        "value": number,
        "threshold": comparison.threshold,
        "status": status,
        "deciding": deciding,
        "seeds": seeds,
        "note": "",
    }


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
