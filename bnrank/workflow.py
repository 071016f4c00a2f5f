"""Small helpers shared by the Snakemake scripts under ``scripts/``."""

from __future__ import annotations

import contextlib
import sys
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
    """Named Snakemake inputs read as CSV: one frame per file, a list for a list of files."""
    import pandas as pd

    return {
        name: pd.read_csv(paths) if isinstance(paths, str) else [pd.read_csv(p) for p in paths]
        for name, paths in inputs.items()
    }
