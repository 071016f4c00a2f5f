"""Speed of the chain engine against the public code's approach, side by side.

    python benchmarks/chains.py [--output [PATH]]   # paper sizes (minutes)
    python benchmarks/chains.py --quick              # a smoke test of this script

``--output`` without a PATH writes results/bench/chains.json (as ``make bench`` does).

Fig 2: the paper-preset simulation (10 runs × 50,000 layers × {linear, ReLU} × {BN,
vanilla}, float64) done by a straightforward per-step NumPy loop, one run at a time
(the public notebook's approach), against ``bnrank.chains.simulate.depth_sweep``, and against
``snakemake fig2`` end to end (simulation, table, claims and figure, from an empty
folder). Fig 3a: S layers at d = 256 for γ ∈ {0.01, 1, ∞} in the public code's
covariance form (four d×d products per layer and γ) against ``run_chains`` (one
product per layer of the d×N representation, γ batched). Each measurement is repeated
and interleaved with its counterpart; ratios are of medians, printed and recorded as
"2.1× faster" or "1.4× slower" (``bnrank.runs.speed_comparison``), and in the JSON rows
also as the number ``speedup``: the reference's time over bnrank's (above 1: faster).
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from bnrank.chains import simulate
from bnrank.chains.chain import Chain, run_chains
from bnrank.runs import output_argument, output_path, save_benchmark, speed_comparison
from bnrank.settings import DepthSweep, RankNotions
from bnrank.streams import chain_keys

REPO = Path(__file__).resolve().parents[1]


def reference_fig2(runs: int, layers: int, d: int = 32, every: int = 1000, seed: int = 0) -> list:
    """The public notebook's loop: per run and activation, draw W, step BN and vanilla."""
    rng = np.random.default_rng(seed)
    ranks = []
    for act in (lambda h: h, lambda h: np.maximum(h, 0)):
        for _ in range(runs):
            H = Hv = rng.standard_normal((d, d))
            for layer in range(1, layers + 1):
                W = 2 * math.sqrt(3) * (rng.random((d, d)) - 0.5)
                Hv = act(W @ Hv)
                Hv = Hv / np.linalg.norm(Hv)
                Z = W @ H
                Z = Z - Z.mean(axis=1, keepdims=True)
                H = act(Z / np.sqrt((Z * Z).mean(axis=1, keepdims=True)))
                if layer % every == 0:
                    ranks.append((np.linalg.matrix_rank(H), np.linalg.matrix_rank(Hv)))
    return ranks


def reference_fig3(steps: int, d: int, gammas, seed: int = 0) -> None:
    """The public Fig 3a notebook's covariance-form step, one γ at a time."""
    rng = np.random.default_rng(seed)
    eye = np.eye(d)
    for gamma in gammas:
        M = np.eye(d)
        for _ in range(steps):
            W = rng.standard_normal((d, d))
            A = W if math.isinf(gamma) else eye + gamma * W
            Mh = A @ M @ A.T
            D = np.diag(1.0 / np.sqrt(np.diag(Mh)))
            M = D @ Mh @ D


def engine_fig2(layers: int) -> None:
    sweep = DepthSweep(32, 32, 10, layers, 1000, ("linear", "relu"), "uniform", True)
    simulate.depth_sweep(sweep, RankNotions((0.5,), 1e-9), 0, "float64")


def engine_fig3(steps: int, d: int, gammas) -> None:
    chains = [Chain("bn", "linear", g) for g in gammas]
    x0 = np.eye(d)[None]
    for _ in run_chains(x0, chains, steps, [steps], chain_keys("width_sweep_weights", 0, 1, 0), "gaussian"):
        pass


def snakemake_fig2(layers: int) -> None:
    """``snakemake fig2`` (paper preset unless layers are reduced) from an empty folder."""
    with tempfile.TemporaryDirectory() as work:
        command = [
            sys.executable,
            "-m",
            "snakemake",
            "-s",
            str(REPO / "Snakefile"),
            "-d",
            work,
            "fig2",
            "--cores",
            "2",
            "--quiet",
        ]
        if layers != 50000:
            config = Path(work) / "sizes.yaml"
            config.write_text(yaml.safe_dump({"chains": {"depth_sweep": {"layers": layers}}}))
            command += ["--configfile", str(config)]
        subprocess.run(command, check=True, capture_output=True)


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def side_by_side(repeats: int, *jobs) -> list[float]:
    """Median wall time of each job, the jobs interleaved in every repeat."""
    times = [[] for _ in jobs]
    for _ in range(repeats):
        for t, (fn, *args) in zip(times, jobs, strict=True):
            t.append(timed(fn, *args))
    return [statistics.median(t) for t in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke test)")
    parser.add_argument("--repeats", type=int, default=3)
    output_argument(parser, "chains")
    args = parser.parse_args()
    output = output_path(args)
    layers, steps = (2000, 10) if args.quick else (50000, 200)
    gammas = [0.01, 1.0, math.inf]
    engine_fig2(1000), engine_fig3(2, 256, gammas)  # compile and warm caches

    ref2, eng2, e2e2 = side_by_side(
        args.repeats, (reference_fig2, 10, layers), (engine_fig2, layers), (snakemake_fig2, layers)
    )
    ref3, eng3 = side_by_side(args.repeats, (reference_fig3, steps, 256, gammas), (engine_fig3, steps, 256, gammas))
    print(f"Fig 2, 10 runs × {layers} layers × 4 chains, median of {args.repeats}:")
    print(f"  reference per-step NumPy loop   {ref2:8.2f} s")
    print(f"  bnrank engine                   {eng2:8.2f} s   {speed_comparison(ref2, eng2)}")
    print(f"  snakemake fig2, end to end      {e2e2:8.2f} s   {speed_comparison(ref2, e2e2)}")
    print(f"Fig 3a, d = 256, {steps} layers × 3 γ, median of {args.repeats}:")
    print(f"  reference covariance form       {ref3 / (3 * steps) * 1e3:8.2f} ms per layer and γ")
    print(
        f"  bnrank engine, γ batched        {eng3 / (3 * steps) * 1e3:8.2f} ms per layer and γ"
        f"   {speed_comparison(ref3, eng3)}"
    )
    if output:
        per_layer = 3 * steps / 1e3
        fig2 = f"Fig 2 simulation, 10 runs × {layers} layers × 4 chains"
        rows = [
            {
                "what": fig2,
                "reference": f"{ref2:.2f} s",
                "bnrank": f"{eng2:.2f} s",
                "speed": speed_comparison(ref2, eng2),
                "speedup": ref2 / eng2,
            },
            {
                "what": f"`snakemake fig2` end to end, {layers} layers",
                "reference": f"{ref2:.2f} s",
                "bnrank": f"{e2e2:.2f} s",
                "speed": speed_comparison(ref2, e2e2),
                "speedup": ref2 / e2e2,
            },
            {
                "what": f"Fig 3a, d = 256, {steps} layers × 3 γ, per layer and γ",
                "reference": f"{ref3 / per_layer:.2f} ms",
                "bnrank": f"{eng3 / per_layer:.2f} ms",
                "speed": speed_comparison(ref3, eng3),
                "speedup": ref3 / eng3,
            },
        ]
        description = (
            "The chain engine against the public code's approach (a per-step NumPy loop one run at a time for "
            f"Fig 2; the covariance form for Fig 3a), side by side, medians of {args.repeats} interleaved repeats."
        )
        save_benchmark(output, "python benchmarks/chains.py", description, rows)


if __name__ == "__main__":
    main()
