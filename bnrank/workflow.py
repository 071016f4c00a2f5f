"""Small helpers shared by the Snakemake scripts under ``scripts/``."""

from __future__ import annotations

import contextlib
import sys
import traceback
from collections.abc import Iterator


class JobError(RuntimeError):
    """A failure the user can remedy: its message says what is wrong and what to do."""


@contextlib.contextmanager
def logged(path: str) -> Iterator[None]:
    """Send the job's output to its log file, with the traceback of an error; a ``JobError``
    is reported by its message alone, in the log and on the job's standard error."""
    with open(path, "w") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        try:
            yield
        except JobError as error:
            for stream in (log, sys.__stderr__):
                print(f"error: {error}", file=stream, flush=True)
            raise SystemExit(1) from None
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
