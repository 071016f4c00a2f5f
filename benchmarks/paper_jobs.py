"""Wall time of the paper preset's training jobs, as the workflow's ``train`` rule runs them.

    python benchmarks/paper_jobs.py [--experiment fig1] [--depths 1 8 16 32] [--epochs 3] [--output [PATH]]

``--output`` without a PATH writes results/bench/paper_jobs_<experiment>.json.

For each variant of the experiment and each depth, one job of the paper preset
(config.yaml): every seed (reported and selection seeds) at every learning rate in one
batched ``train_runs`` call on the prepared data set (``results/data/<set>.pt``), with
the rank measurement after every epoch, once for 1 epoch and once for ``--epochs``
epochs instead of the preset's. It reports the measured seconds per epoch (the
difference of the two runs over the extra epochs, so that start-up, data loading and
epoch 0 are left out) and the job's time at the preset's epoch count
projected from it; and, for the whole experiment, the sum of those projections with
depths between the measured ones interpolated linearly (a job's cost grows linearly
with depth). The projection is labelled as such wherever it is shown.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import yaml

from bnrank import workflow
from bnrank.nets import experiments, init
from bnrank.paths import bench_record
from bnrank.runs import save_benchmark
from bnrank.settings import Settings
from bnrank.streams import RunSeed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiment", default="fig1")
    parser.add_argument("--depths", type=int, nargs="+", default=[1, 8, 16, 32])
    parser.add_argument("--epochs", type=int, default=3, help="at least 2")
    parser.add_argument("--config", default="config.yaml")
    parser.add_argument(
        "--output",
        nargs="?",
        metavar="PATH",
        const="",
        help="also write the results as JSON here (for docs/results.md); without PATH: "
        + bench_record("paper_jobs_<experiment>"),
    )
    args = parser.parse_args()
    if args.output == "":
        args.output = bench_record(f"paper_jobs_{args.experiment}")
    settings = Settings.from_config(yaml.safe_load(Path(args.config).read_text()))
    e = settings.experiments[args.experiment]
    dataset = settings.dataset_name(args.experiment)
    data_path = f"{settings.data.directory}/{dataset}.pt"
    device = workflow.training_device(settings.training.device)
    rows, projected = [], {}
    with tempfile.TemporaryDirectory() as scratch:
        for variant in e.variants:
            v = settings.variants[variant]
            job = settings.training_job(args.experiment, variant)
            for depth in args.depths:
                arch = init.architecture(dataset, depth, v.norm, settings.network)
                weights = []
                for seed in e.seeds:
                    path = f"{scratch}/{variant}_{depth}_{seed}.npz"
                    init.save_params(path, init.init_params(arch, v.init, RunSeed(settings.seed, seed), dataset))
                    weights.append(path)
                seeds = [RunSeed(settings.seed, s) for s in e.seeds]
                times = {}
                for epochs in (1, args.epochs):  # the difference leaves start-up and epoch 0 out
                    start = time.perf_counter()
                    experiments.train_runs(
                        variant=variant,
                        dataset_path=data_path,
                        weights=weights,
                        seeds=seeds,
                        arch=arch,
                        training=replace(job, epochs=epochs),
                        measurement=settings.measurement,
                    )
                    times[epochs] = time.perf_counter() - start
                total = times[args.epochs]
                per_epoch = (total - times[1]) / (args.epochs - 1)
                projected[variant, depth] = per_epoch * e.epochs
                models = len(seeds) * len(job.lrs)
                rows.append(
                    {
                        "job": f"{args.experiment} {variant} depth {depth}",
                        "models": models,
                        "measured": f"{args.epochs} epochs in {total:.1f} s",
                        "seconds per epoch": f"{per_epoch:.2f}",
                        f"projected job time ({e.epochs} epochs)": f"{per_epoch * e.epochs / 60:.1f} min",
                    }
                )
                print(rows[-1], flush=True)
    measured = np.array(args.depths, float)
    whole = sum(
        float(np.interp(d, measured, [projected[variant, m] for m in args.depths]))
        for variant in e.variants
        for d in e.depths
    )
    rows.append(
        {
            "job": f"all {len(e.variants) * len(e.depths)} training jobs of {args.experiment}, one after another",
            "models": "",
            "measured": "",
            "seconds per epoch": "",
            f"projected job time ({e.epochs} epochs)": f"{whole / 60:.0f} min (projection)",
        }
    )
    print(rows[-1])
    if args.output:
        description = (
            f"Paper-preset training jobs of experiment {args.experiment} on {device}: every seed "
            f"({e.n_seeds} reported + {e.selection_seeds} for the learning rate) at every learning rate in one "
            f"batched job, rank measurement after every epoch, run for 1 and for {args.epochs} epochs; the time "
            f"per epoch is the difference over the extra epochs, and the job time at {e.epochs} epochs and the "
            "experiment's total are projected from it."
        )
        command = f"python benchmarks/paper_jobs.py --experiment {args.experiment} --epochs {args.epochs}"
        save_benchmark(args.output, command, description, rows)


if __name__ == "__main__":
    main()
