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
    """Named Snakemake inputs read as CSV: one frame per file, a list for a list of files."""
    import pandas as pd

    return {
        name: pd.read_csv(paths) if isinstance(paths, str) else [pd.read_csv(p) for p in paths]
        for name, paths in inputs.items()
    }


def visible_gpus() -> int:
    """The number of GPUs jobs started here can use: those ``CUDA_VISIBLE_DEVICES`` lists
    when it is set, else those ``nvidia-smi -L`` lists (0 without ``nvidia-smi``)."""
    import os
    import shutil
    import subprocess

    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([d for d in visible.split(",") if d.strip() and not d.strip().startswith("-")])
    if not shutil.which("nvidia-smi"):
        return 0
    listed = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True).stdout
    return sum(line.startswith("GPU ") for line in listed.splitlines())


def machine() -> dict[str, str]:
    """This machine, named: host, CPU model and count, and the GPUs ``nvidia-smi`` lists."""
    import os
    import platform
    import shutil
    import subprocess

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    gpus = "none"
    if shutil.which("nvidia-smi"):
        listed = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True).stdout.strip()
        gpus = "; ".join(line.split(" (UUID")[0] for line in listed.splitlines()) or "none"
    return {"host": platform.node(), "cpu": f"{os.cpu_count()} × {cpu}", "gpus": gpus}


RUN_COLUMNS = ["finished", "seconds", "targets", "jobs_run", "jobs_in_dag", "rules", "cores", "host", "cpu", "gpus"]


def run_started(workflow) -> dict:
    """What a ``snakemake`` invocation is about to do (its ``onstart`` hook)."""
    import time
    from collections import Counter

    dag = workflow.dag
    rules = Counter(job.rule.name for job in dag.needrun_jobs())
    return {
        "start": time.time(),
        "targets": " ".join(sorted({str(job) for job in dag.targetjobs})),
        "jobs_run": sum(rules.values()),
        "jobs_in_dag": len(list(dag.jobs)),
        "rules": " ".join(f"{rule}:{n}" for rule, n in sorted(rules.items())),
        "cores": workflow.resource_settings.cores,
    }


def run_finished(path: str, started: dict) -> None:
    """Append the finished invocation to the run log ``path`` (its ``onsuccess`` hook)."""
    import csv
    import datetime
    import os
    import time

    row = {**started, **machine()}
    row["seconds"] = round(time.time() - row.pop("start"), 1)
    row["finished"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    new = not os.path.exists(path)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "a", newline="") as f:
        writer = csv.DictWriter(f, RUN_COLUMNS, delimiter="\t")
        if new:
            writer.writeheader()
        writer.writerow(row)


def save_benchmark(path: str, command: str, description: str, rows: list[dict]) -> None:
    """A benchmark's results as JSON, dated and with the machine named, for docs/results.md."""
    import datetime
    import json
    import os

    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    record = {
        "command": command,
        "description": description,
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "rows": rows,
    }
    with open(path, "w") as f:
        json.dump(record, f, indent=1)
