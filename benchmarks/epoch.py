"""What one epoch of a depth-32 training job costs beside its SGD steps, before and after
the measurement savings.

    python benchmarks/epoch.py [--output [PATH]]   # 9 BN MLPs of depth 32, the quick preset's sizes
    python benchmarks/epoch.py --quick              # a smoke test of this script

``--output`` without a PATH writes results/bench/epoch.json (as ``make bench`` does).

One training job's models (3 seeds × 3 learning rates, width 128, batch 128) on
Fashion-MNIST-shaped data, one thread, as a training job runs. Each part of an epoch is
timed on its own, side by side, medians of interleaved repeats:

- the SGD steps of one epoch over ``--train`` samples (the same code on both sides);
- the rank measurement: every hidden layer, one float32 SVD each (before) against the
  last hidden layer, the one every table reads, from its float64 Gram matrix (after:
  ``measurement.layers: last``, ``bnrank.rank.singular_values``);
- the test evaluation: the whole test split (before) against the first
  ``--test`` samples (``test_samples``);
- the checkpoint: written after every epoch (before) against one every
  ``training.checkpoint_seconds`` (after; its cost per epoch is the write's time spread
  over the epochs in that interval, at this epoch's total time).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from bnrank import rank
from bnrank.nets import init, mlp
from bnrank.nets.checkpoints import Checkpoint
from bnrank.nets.measure import layer_ranks
from bnrank.nets.train import SGD, Split, evaluate
from bnrank.runs import output_argument, output_path, save_benchmark, speed_comparison
from bnrank.settings import Measurement, RankNotions
from bnrank.streams import RunSeed


def float32_svd(H: np.ndarray) -> np.ndarray:
    """The singular values as measured before: one SVD in H's own dtype."""
    return np.linalg.svd(H, compute_uv=False)


def median_time(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--train", type=int, default=2000, help="training samples of one epoch")
    parser.add_argument("--test", type=int, default=500, help="test samples evaluated after (test_samples)")
    parser.add_argument("--checkpoint-seconds", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=5)
    output_argument(parser, "epoch")
    args = parser.parse_args()
    output = output_path(args)
    torch.set_num_threads(1)
    depth, train_n, test_full, repeats = (4, 256, 512, 2) if args.quick else (32, args.train, 10000, args.repeats)
    test_n = min(args.test, test_full)
    arch = init.Architecture(inputs=784, width=128, depth=depth, norm="bn")
    lrs = [0.1, 0.01, 0.001]
    starts = [init.init_params(arch, "pytorch", RunSeed(0, s), "fashion_mnist") for s in range(3) for _ in lrs]
    params = mlp.stack(starts)
    models, batch = len(lrs) * 3, 128
    gen = torch.Generator().manual_seed(0)
    pixels = torch.randint(256, (train_n + test_full, 784), generator=gen, dtype=torch.uint8)
    labels = torch.randint(10, (train_n + test_full,), generator=gen)
    train, test = Split(pixels[:train_n], labels[:train_n]), Split(pixels[train_n:], labels[train_n:])
    test_part = Split(test.x[:test_n], test.y[:test_n])
    probe = train.x[:128].float() / 255
    lr, alive = torch.tensor(lrs * 3), torch.ones(models, dtype=torch.bool)
    every = Measurement(128, "float32", RankNotions((0.5,), 1e-9), layers="all")
    last = dataclasses.replace(every, layers="last")

    def steps() -> None:
        sgd = SGD(params, lr)
        for start in range(0, train_n - batch + 1, batch):
            index = torch.arange(start, start + batch).expand(models, -1)
            x, y = train.inputs(index, 1 / 255), train.y[index]
            sgd.step(arch=arch, params=params, alive=alive, x=x, y=y)
        sgd.release(params)

    def measure_before() -> None:
        original, rank.singular_values = rank.singular_values, float32_svd
        try:
            layer_ranks(arch, params, probe, every)
        finally:
            rank.singular_values = original

    with tempfile.TemporaryDirectory() as folder:
        checkpoint = Checkpoint(Path(folder) / "c.pt", {"run": 0})
        state = {"epoch": 1, "metrics": [{"epoch": e, "model": m} for e in range(100) for m in range(models)]}
        parts = {
            "SGD steps": (steps, steps),
            "rank measurement": (measure_before, lambda: layer_ranks(arch, params, probe, last)),
            "test evaluation": (
                lambda: evaluate(arch=arch, params=params, split=test, scale=1 / 255),
                lambda: evaluate(arch=arch, params=params, split=test_part, scale=1 / 255),
            ),
            "checkpoint": (lambda: checkpoint.save(state=state, params=params),) * 2,
        }
        for before, after in parts.values():  # warm up
            before(), after()
        times = {name: ([], []) for name in parts}
        for _ in range(repeats):
            for name, fns in parts.items():
                for side, fn in enumerate(fns):
                    times[name][side].append(median_time(fn, 1))
    medians = {name: [statistics.median(t) for t in sides] for name, sides in times.items()}
    epoch_after = sum(after for name, (_, after) in medians.items() if name != "checkpoint")
    epochs_per_write = max(1.0, args.checkpoint_seconds / epoch_after)
    medians["checkpoint"][1] /= epochs_per_write
    totals = [sum(m[side] for m in medians.values()) for side in (0, 1)]
    what = {
        "SGD steps": f"{train_n // batch} steps of batch {batch}",
        "rank measurement": f"all {depth} hidden layers, float32 SVD → the last, float64 Gram",
        "test evaluation": f"{test_full} → {test_n} test samples",
        "checkpoint": f"every epoch → every {args.checkpoint_seconds:g} s ({epochs_per_write:.0f} epochs)",
    }
    print(f"one epoch of {models} BN MLPs (depth {depth}, width 128), one thread, medians of {repeats}:")
    rows = []
    for name, (before, after) in list(medians.items()) + [("whole epoch", totals)]:
        comparison = speed_comparison(before, after)
        print(f"  {name:17s} {before:8.3f} s → {after:8.3f} s   {comparison:14s} {what.get(name, '')}")
        rows.append(
            {
                "part": name,
                "what": what.get(name, "the parts above"),
                "before": f"{before:.3f} s",
                "after": f"{after:.3f} s",
                "speed": comparison,
                "speedup": before / after,
            }
        )
    if output:
        description = (
            f"One epoch of one training job ({models} BN MLPs of depth {depth}, width 128, batch {batch}, "
            f"{train_n} training samples, one thread) part by part, before and after the measurement savings, "
            f"side by side, medians of {repeats} interleaved repeats."
        )
        save_benchmark(output, "python benchmarks/epoch.py", description, rows)


if __name__ == "__main__":
    main()
