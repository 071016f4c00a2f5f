"""The label on a figure and its claims, and the record of the data set a data job prepared.

Every figure and claim carries its preset's ``label`` (a reduced preset says so) and, when
its runs trained on the synthetic CIFAR-10 stand-in, ``STAND_IN``. Where the config names
the data set (``data.cifar10.synthetic``: true or false) the workflow knows it when it
builds the DAG. With ``auto`` the data job decides — CIFAR-10 from the first source that
works, else the stand-in — and records what it prepared beside the data set file
(``<data.directory>/<set>.json``); the table, claims and plot jobs of the figures trained on
it read that record. No path depends on what the job found, so the DAG is the same before
and after it runs.
"""

from __future__ import annotations

import json
from pathlib import Path

STAND_IN = "synthetic CIFAR-10 stand-in, not CIFAR-10"


def note(label: str, stand_in: bool) -> str:
    """The label on a figure and its claims: the preset's, and the stand-in's if its runs used it."""
    return "; ".join(n for n in [label, STAND_IN if stand_in else ""] if n)


def write_record(path: str | Path, dataset: str, source: str) -> None:
    """Record what a data job prepared: the data set (``cifar10_synthetic`` for the stand-in)
    and where it came from."""
    Path(path).write_text(json.dumps({"dataset": dataset, "source": source}, indent=1) + "\n")


def recorded(path: str | Path) -> str:
    """The data set a data job's record says it prepared."""
    return json.loads(Path(path).read_text())["dataset"]


def with_record(configured: str, record: str | None) -> str:
    """A figure's note as the config decides it, with the stand-in's label added where the
    data job's ``record`` (``data.cifar10.synthetic: auto``) says its runs used the stand-in."""
    if record is None:
        return configured
    return note(configured, recorded(record).endswith("_synthetic"))


def context_with_record(context: dict, record: str | None) -> dict:
    """A table's facts about its experiment, with the data set (where it takes one) that the
    data job's ``record`` (``data.cifar10.synthetic: auto``) says its runs trained on."""
    if record is None or "dataset" not in context:
        return context
    return {**context, "dataset": recorded(record)}
