"""Speed of the chain engine against the public code's approach, side by side.

    python benchmarks/chains.py            # paper sizes (about 5 minutes on 2 cores)
    python benchmarks/chains.py --quick    # small sizes, a smoke test of this script

Fig 2: the paper-preset simulation (10 runs × 50,000 layers × {linear, ReLU} × {BN,
vanilla}, float64) done by a straightforward per-step NumPy loop, one run at a time
(the public notebook's approach), against ``bnrank.simulate.depth_ranks``, and against
``snakemake fig2`` end to end (simulation, table, claims and figure, from an empty
folder). Fig 3a: S layers at d = 256 for γ ∈ {0.01, 1, ∞} in the public code's
covariance form (four d×d products per layer and γ) against ``run_chains`` (one
product per layer of the d×N representation, γ batched). Each measurement is repeated
and interleaved with its counterpart; ratios are of medians.
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

from bnrank import simulate
from bnrank.chain import Chain, run_chains
from bnrank.random import run_keys

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
    simulate.depth_ranks(32, 32, 10, layers, 1000, ["linear", "relu"], "uniform", True, 0, [0.5], 1e-9)


def engine_fig3(steps: int, d: int, gammas) -> None:
    chains = [Chain("bn", "linear", g) for g in gammas]
    x0 = np.eye(d)[None]
    for _ in run_chains(x0, chains, steps, [steps], run_keys(0, 1, 0), "gaussian"):
        pass


def snakemake_fig2(layers: int) -> None:
    """``snakemake fig2`` (paper preset unless layers are reduced) from an empty folder."""
    with tempfile.TemporaryDirectory() as work:
        command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", work, "fig2", "--cores", "2", "--quiet"]
        if layers != 50000:
            config = Path(work) / "sizes.yaml"
            config.write_text(yaml.safe_dump({"fig2": {"simulation": {"layers": layers}}}))
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
        for t, (fn, *args) in zip(times, jobs):
            t.append(timed(fn, *args))
    return [statistics.median(t) for t in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke test)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    layers, steps = (2000, 10) if args.quick else (50000, 200)
    gammas = [0.01, 1.0, math.inf]
    engine_fig2(1000), engine_fig3(2, 256, gammas)  # compile and warm caches

    ref2, eng2, e2e2 = side_by_side(
        args.repeats, (reference_fig2, 10, layers), (engine_fig2, layers), (snakemake_fig2, layers)
    )
    ref3, eng3 = side_by_side(args.repeats, (reference_fig3, steps, 256, gammas), (engine_fig3, steps, 256, gammas))
    print(f"Fig 2, 10 runs × {layers} layers × 4 chains, median of {args.repeats}:")
    print(f"  reference per-step NumPy loop   {ref2:8.2f} s")
    print(f"  bnrank engine                   {eng2:8.2f} s   {ref2 / eng2:5.1f}× faster")
    print(f"  snakemake fig2, end to end      {e2e2:8.2f} s   {ref2 / e2e2:5.1f}× faster")
    print(f"Fig 3a, d = 256, {steps} layers × 3 γ, median of {args.repeats}:")
    print(f"  reference covariance form       {ref3 / (3 * steps) * 1e3:8.2f} ms per layer and γ")
    print(f"  bnrank engine, γ batched        {eng3 / (3 * steps) * 1e3:8.2f} ms per layer and γ   {ref3 / eng3:5.1f}× faster")


if __name__ == "__main__":
    main()
