"""Small helpers shared by the Snakemake scripts under ``scripts/``."""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Iterator


@contextlib.contextmanager
def logged(path: str) -> Iterator[None]:
    """Send the job's output, and the traceback of any error, to its log file."""
    with open(path, "w") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        try:
            yield
        except BaseException:
            traceback.print_exc()
            raise


def use_threads(threads: int) -> None:
    """Let PyTorch and Numba use the job's ``threads`` and no more."""
    import numba
    import torch

    torch.set_num_threads(threads)
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))


def read_inputs(inputs) -> dict:
    """Named Snakemake inputs read as CSV: one frame per file, a list for a list of files
    (all but ``code``, the package modules the job runs)."""
    import pandas as pd

    return {
        name: pd.read_csv(paths) if isinstance(paths, str) else [pd.read_csv(p) for p in paths]
        for name, paths in inputs.items()
        if name != "code"
    }


def training_device(name: str):
    """The torch device of ``training.device`` or ``cnn.device``: ``auto`` is CUDA when
    present, else the CPU."""
    import torch

    if name != "auto":
        return torch.device(name)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def fingerprint(**settings) -> str:
    """A short hash of everything a training run depends on (guards checkpoint reuse)."""
    import hashlib
    import json

    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:16]
