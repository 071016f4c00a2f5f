"""One epoch's rank measurement: NumPy on the host (as measured before) against
``bnrank.rank.rank_notions`` in torch on the device, each of torch's solvers side by side.

    python benchmarks/rank_notions.py [--device cpu|cuda] [--threads 1] [--output [PATH]]
    python benchmarks/rank_notions.py --quick    # a smoke test of this script

``--output`` without a PATH writes results/bench/rank_notions.json (the card named where
the device is a GPU: run it there to choose ``bnrank.rank.SOLVER["cuda"]``).

The inputs are a training epoch's: float32 H of shape (models, width, probe), ReLU
activations of random rank 1..width (``--models``, default 102 and 21 models of 128 × 128),
on ``--device`` (default: CUDA where present). Each side measures every notion of
the stack and brings the results to the host; medians of interleaved repeats, with
``torch.cuda.synchronize`` around each on a GPU, torch and NumPy's BLAS on ``--threads``:

- host NumPy: ``H.cpu().numpy()``, then the eigenvalues of the float64 Gram by
  ``numpy.linalg.eigvalsh``, the code before the notions moved to torch: the reference;
- host torch (on a GPU only): ``rank_notions(H.cpu().numpy())``, today's NumPy entry;
- torch <solver>: ``rank_notions(H)`` on the device with ``bnrank.rank.SOLVER`` set to
  ``gram`` (eigvalsh of the float64 Gram), ``svd`` (svdvals of H in float64) and, on a
  GPU, the cuSOLVER drivers ``gesvd``, ``gesvdj`` and ``gesvda`` (svdvals ``driver=``),
  its results stacked and copied to the host in one transfer.

Every side's integer notions are compared with the reference's (``counts_equal``) and
its ``lower_bound`` too (``lower_bound_rel``, the largest relative difference).
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from bnrank import rank
from bnrank.runs import output_argument, output_path, save_benchmark, speed_comparison

TAUS, EIG_THRESHOLD = (0.5,), 1e-9


def numpy_notions(H: np.ndarray, taus: Sequence[float], eig_threshold: float) -> dict[str, np.ndarray]:
    """The notions of a float32 H as computed before, in NumPy on the host."""
    d, n = H.shape[-2:]
    finite = np.isfinite(H).all(axis=(-2, -1))
    H64 = np.where(finite[..., None, None], H, H.dtype.type(0)).astype(np.float64)
    Ht = np.swapaxes(H64, -1, -2)
    gram = H64 @ Ht if d <= n else Ht @ H64
    sv = np.sqrt(np.clip(np.linalg.eigvalsh(gram)[..., ::-1], 0.0, None))
    tol = sv[..., :1] * max(d, n) * np.finfo(H.dtype).eps
    lam = np.square(sv) / n
    trace = lam.sum(-1, keepdims=True)
    mean = trace / d
    with np.errstate(invalid="ignore"):
        lower_bound = np.square(trace[..., 0]) / np.where(finite, np.square(lam).sum(-1), 1.0)
    notions = {
        "matrix_rank": (sv > tol).sum(-1),
        "lower_bound": lower_bound,
        "eig_count": (lam > eig_threshold * mean).sum(-1),
    }
    notions |= {rank.notion_column("soft_rank", t): (lam >= t * mean).sum(-1) for t in taus}
    return notions if finite.all() else {k: np.where(finite, v, np.nan) for k, v in notions.items()}


def activations(models: int, width: int, probe: int, device: torch.device) -> torch.Tensor:
    """float32 ReLU activations (models, width, probe) of random ranks 1..width."""
    gen = torch.Generator().manual_seed(0)
    ranks = torch.randint(1, width + 1, (models,), generator=gen)
    low = [torch.randn(width, k, generator=gen) @ torch.randn(k, probe, generator=gen) for k in ranks.tolist()]
    return torch.relu(torch.stack(low)).to(device)


def on_device(H: torch.Tensor, solver: rank.Solver) -> dict[str, np.ndarray]:
    """``rank_notions`` of H on its device with ``solver``, brought to the host in one transfer."""
    saved = dict(rank.SOLVER)
    rank.SOLVER[H.device.type] = solver
    try:
        notions = rank.rank_notions(H, TAUS, EIG_THRESHOLD)
    finally:
        rank.SOLVER.clear()
        rank.SOLVER.update(saved)
    host = torch.stack([v.double() for v in notions.values()]).cpu().numpy()
    return dict(zip(notions, host, strict=True))


def measurements(H: torch.Tensor, solvers: Sequence[rank.Solver]) -> dict[str, Callable[[], dict[str, np.ndarray]]]:
    """The sides, each measuring H and bringing its notions to the host."""
    sides = {"host NumPy": lambda: numpy_notions(H.cpu().numpy(), TAUS, EIG_THRESHOLD)}
    if H.is_cuda:
        sides["host torch"] = lambda: rank.rank_notions(H.cpu().numpy(), TAUS, EIG_THRESHOLD)
    return sides | {f"torch {solver}": functools.partial(on_device, H, solver) for solver in solvers}


def timed(fn: Callable[[], dict[str, np.ndarray]], sync: Callable[[], None]) -> tuple[float, dict[str, np.ndarray]]:
    """fn's wall time (synchronised before and after) and its result."""
    sync()
    start = time.perf_counter()
    out = fn()
    sync()
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--models", type=int, nargs="+", default=[102, 21], help="stacks to measure, one row each")
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--probe", type=int, default=128)
    parser.add_argument("--threads", type=int, default=1, help="torch's and NumPy's BLAS threads (a job's)")
    parser.add_argument("--repeats", type=int, default=7)
    output_argument(parser, "rank_notions")
    args = parser.parse_args()
    output = output_path(args)
    if args.quick:
        args.models, args.width, args.probe, args.repeats = [4], 48, 40, 1
    device = torch.device(args.device)
    gpu = device.type == "cuda"
    sync = torch.cuda.synchronize if gpu else lambda: None
    card = torch.cuda.get_device_name(device) if gpu else "CPU"
    solvers: list[rank.Solver] = ["gram", "svd"] + (["gesvd", "gesvdj", "gesvda"] if gpu else [])
    torch.set_num_threads(args.threads)
    rows = []
    print(f"rank notions of float32 stacks (width {args.width}, probe {args.probe}), {card}, {args.threads} thread(s):")
    for models in args.models:
        sides = measurements(activations(models, args.width, args.probe, device), solvers)
        times: dict[str, list[float]] = {side: [] for side in sides}
        with threadpool_limits(args.threads):
            results = {side: timed(fn, sync)[1] for side, fn in sides.items()}  # warm up
            for _ in range(args.repeats):
                for side, fn in sides.items():
                    times[side].append(timed(fn, sync)[0])
        reference = results["host NumPy"]
        base = statistics.median(times["host NumPy"])
        for side, out in results.items():
            seconds = statistics.median(times[side])
            equal = all(np.array_equal(out[k], reference[k]) for k in reference if k != "lower_bound")
            rel = float(np.max(np.abs(out["lower_bound"] - reference["lower_bound"]) / reference["lower_bound"]))
            comparison = speed_comparison(base, seconds)
            print(f"  {models:4d} models  {side:13s} {seconds * 1e3:9.2f} ms  {comparison:14s} counts equal: {equal}")
            rows.append(
                {
                    "models": f"{models} × {args.width} × {args.probe}",
                    "device": card,
                    "side": side,
                    "time": f"{seconds * 1e3:.2f} ms",
                    "speed": comparison,
                    "counts_equal": equal,
                    "lower_bound_rel": rel,
                    "speedup": base / seconds,
                }
            )
    if output:
        description = (
            f"The rank notions of one epoch's float32 activations (models × width {args.width} × probe {args.probe}) "
            f"on {card} with {args.threads} thread(s): NumPy on the host (the code before, the reference of every "
            f"speed) against bnrank.rank.rank_notions in torch with each solver, side by side, medians of "
            f"{args.repeats} interleaved repeats."
        )
        save_benchmark(output, "python benchmarks/rank_notions.py", description, rows)


if __name__ == "__main__":
    main()
