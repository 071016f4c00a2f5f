"""The simulation jobs of the figures beyond the paper (Figs 14, 15, 16), timed at a
preset's sizes on this machine, as the workflow runs them: one job after another, each
in a fresh process on one thread (``chains.threads``), with its wall time and its peak
resident memory.

    python benchmarks/beyond.py [--configfile presets/...] [--output [PATH]]   # default: the paper preset
    python benchmarks/beyond.py --configfile presets/quick.yaml --quick     # a smoke test of this script

``--output`` without a PATH writes results/bench/beyond<_preset>.json. The jobs' results
are not kept (``snakemake fig14 fig15 fig16`` makes them); the record is how long the
paper preset's versions take on a CPU, which docs/results.md reports.
"""

from __future__ import annotations

import argparse
import resource
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from bnrank.chains import gradients, isometry, orthogonality
from bnrank.config import preset
from bnrank.runs import output_argument, output_path, save_benchmark
from bnrank.settings import Settings
from bnrank.workflow import use_threads

REPO = Path(__file__).resolve().parents[1]
# figure, rule, the simulation and its section of ``chains``
JOBS = [
    ("fig14", "simulate_orthogonality", orthogonality.orthogonality, "orthogonality"),
    ("fig15", "simulate_gradients", gradients.gradients, "gradients"),
    ("fig16", "simulate_isometry", isometry.isometry, "isometry"),
]


def run_job(simulate, section, seed: int, dtype: str, threads: int) -> tuple[float, float, int]:
    """One job in this (fresh) process: its wall time (s), peak resident memory (MB) and rows."""
    from threadpoolctl import threadpool_limits

    use_threads(threads)
    start = time.perf_counter()
    with threadpool_limits(threads, user_api="blas"):
        rows = len(simulate(section, seed, dtype))
    return time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configfile", nargs="*", default=[], help="presets merged over config.yaml")
    parser.add_argument("--quick", action="store_true", help="Fig 14's job only (a smoke test)")
    output_argument(parser, "beyond{preset}")
    args = parser.parse_args()
    args.preset = "".join("_" + Path(p).stem for p in args.configfile)
    s = Settings.from_config(preset(args.configfile, str(REPO)))
    rows = []
    for figure, rule, simulate, name in JOBS[:1] if args.quick else JOBS:
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as fresh:
            seconds, peak, length = fresh.submit(
                run_job, simulate, getattr(s.chains, name), s.seed, s.chains.dtype, s.chains.threads
            ).result()
        rows.append(
            {"figure": figure, "job": rule, "threads": s.chains.threads, "seconds": round(seconds, 1)}
            | {"peak_memory_mb": round(peak), "table_rows": length}
        )
        print(f"{figure} {rule}: {seconds:.1f} s, peak {peak:.0f} MB, {length} rows")
    out = output_path(args)
    if out:
        where = " over ".join([*args.configfile, "config.yaml"])
        description = (
            f"The simulation jobs of Figs 14-16 ({where}), one after another, each in a fresh process on "
            f"{s.chains.threads} thread(s): wall time and peak resident memory."
        )
        command = "python benchmarks/beyond.py" + "".join(f" --configfile {p}" for p in args.configfile)
        save_benchmark(out, command, description, rows)


if __name__ == "__main__":
    main()
