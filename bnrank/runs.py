"""The workflow's bookkeeping, used by the Snakefile and the benchmarks, never by a job:
the GPUs jobs can use, the package modules each job runs (its code inputs), the run log
results/<preset>/runs.tsv, the machine a measurement was taken on, and benchmark records
for docs/results.md.

Two functions here reach into Snakemake's ``Workflow`` beyond its documented use in a
Snakefile, because nothing public does what they do: ``limit_resource`` (a global resource
limit set by the workflow itself) and ``run_started`` (the jobs an invocation is about to
run). The Snakefile and rules/*.smk use only ``workflow.basedir``, which Snakemake
documents; tests/test_runs.py fails if a Snakemake upgrade changes what these two use."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from snakemake.workflow import Workflow


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


def limit_resource(workflow: Workflow, name: str, amount: int) -> None:
    """At most ``amount`` of resource ``name`` in use by the jobs running at once, unless the
    user gave a limit for it (``--resources name=N``, or a profile's ``resources``).

    Snakemake takes global resource limits only from the command line, so this uses
    ``Workflow.global_resources`` (the limits given) and ``Workflow.register_resource``."""
    if name not in workflow.global_resources:
        workflow.register_resource(name, amount)


def package_files(script: str, root: str, package: str = "bnrank") -> list[str]:
    """The files of ``package`` (under ``root``) that the Python file ``script`` imports,
    directly or through one another, with the packages' ``__init__.py``; sorted.

    Every rule lists them as inputs of its jobs, so that editing a module reruns the jobs
    that run it, and no others."""
    import ast
    from pathlib import Path

    base = Path(root)

    def files(module: str) -> list[Path]:
        parts = module.split(".")
        found = [base.joinpath(*parts[:i], "__init__.py") for i in range(1, len(parts) + 1)]
        found.append(base.joinpath(*parts[:-1], parts[-1] + ".py"))
        return [f for f in found if f.is_file()]

    seen: set[Path] = set()
    todo = [Path(script)]
    while todo:
        tree = ast.parse(todo.pop().read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            for module in modules:
                if module == package or module.startswith(package + "."):
                    new = [f for f in files(module) if f not in seen]
                    seen.update(new)
                    todo += new
    return sorted(str(f) for f in seen)


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


def run_started(workflow: Workflow) -> dict:
    """What a ``snakemake`` invocation is about to do (its ``onstart`` hook): read from
    ``Workflow.dag`` (its jobs, those that will run, the targets') and the cores it has."""
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


def output_argument(parser: argparse.ArgumentParser, record: str) -> None:
    """Add a benchmark's ``--output [PATH]``; without PATH, ``bench_record(record)``, where
    ``record`` may name parsed arguments in braces ("packing_{experiment}{preset}"), filled
    in by ``output_path``."""
    import re

    from bnrank.paths import bench_record

    shown = bench_record(re.sub(r"\{(\w+)\}", r"<\1>", record))
    parser.add_argument(
        "--output",
        nargs="?",
        metavar="PATH",
        const="",
        help=f"also write the results as JSON here (for docs/results.md); without PATH: {shown}",
    )
    parser.set_defaults(output_record=record)


def output_path(args: argparse.Namespace) -> str | None:
    """Where ``--output`` (added by ``output_argument``) asks for the results: None where it is
    not given; without PATH, the record named with the arguments filled in from ``vars(args)``
    (set a derived one, such as ``args.preset``, before calling)."""
    from bnrank.paths import bench_record

    if args.output is None:
        return None
    return args.output or bench_record(args.output_record.format(**vars(args)))


def speed_comparison(reference: float, new: float) -> str:
    """How ``new`` compares with ``reference`` (two wall times, in the same unit), as every
    benchmark prints and records it: "2.1× faster" when ``new`` takes less time, "1.4×
    slower" when it takes more, "as fast" when the ratio rounds to 1.0 either way. The
    number beside it in a benchmark's JSON rows, ``speedup``, is ``reference / new``:
    above 1, ``new`` is faster."""
    if not (reference > 0 and new > 0):
        raise ValueError(f"wall times must be positive, got reference {reference!r} and new {new!r}")
    faster, slower = f"{reference / new:.1f}", f"{new / reference:.1f}"
    if reference > new and faster != "1.0":
        return f"{faster}× faster"
    if new > reference and slower != "1.0":
        return f"{slower}× slower"
    return "as fast"


def device_name(device) -> str:
    """A torch device in words: the card's name on CUDA (what a timing was measured on)."""
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    threads = torch.get_num_threads()
    return f"the CPU ({threads} thread{'s' * (threads > 1)})"


def matmul_peak(device, dtype=None, n: int = 2048, repeats: int = 10) -> float:
    """Measured FLOP/s of an n×n by n×n product on ``device`` in ``dtype`` (default float32),
    the best of ``repeats``: the peak the benchmarks' model-FLOP utilisation is against."""
    import time

    import torch

    a = torch.randn(n, n, device=device, dtype=dtype or torch.float32)
    b = torch.randn(n, n, device=device, dtype=dtype or torch.float32)
    a @ b
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return 2 * n**3 / min(times)
