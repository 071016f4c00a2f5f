"""Wall time of the paper preset's training jobs, as the workflow's ``train`` rule runs them.

    python benchmarks/paper_jobs.py [--experiment fig1] [--depths 1 32] [--epochs 3] \\
        [--configfile presets/quick.yaml] [--output [PATH]]

``--output`` without a PATH writes results/bench/paper_jobs_<experiment>.json.

For each variant of the experiment, its two jobs of the paper preset (config.yaml, or the
presets given with ``--configfile`` merged over it) as the ``train`` rule runs them: the
selection stage (the selection seeds at every learning rate) and the reported stage (the
reported seeds at one rate per depth), each one ``train_runs`` call over all depths (or
``--depths``) in one stack, on the prepared data set (``results/data/<set>.pt``), with
the rank measurement after every epoch, once for 1 epoch and once for ``--epochs`` epochs
instead of the preset's. It reports the measured seconds per epoch (the difference of the
two runs over the extra epochs, so that start-up, data loading and epoch 0 are left out),
the job's time at the preset's epoch count projected from it, and their sum over the
experiment. The projection is labelled as such wherever it is shown.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import typing
from dataclasses import replace
from pathlib import Path

from bnrank import workflow
from bnrank.config import preset
from bnrank.nets import experiments, init
from bnrank.runs import device_name, output_argument, output_path, save_benchmark
from bnrank.settings import Settings, TrainingStage
from bnrank.streams import RunSeed

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiment", default="fig1")
    parser.add_argument("--depths", type=int, nargs="+", help="default: the experiment's depths")
    parser.add_argument("--epochs", type=int, default=3, help="at least 2")
    parser.add_argument("--configfile", nargs="*", default=[], help="presets over config.yaml (default: none)")
    output_argument(parser, "paper_jobs_{experiment}")
    args = parser.parse_args()
    output = output_path(args)
    settings = Settings.from_config(preset(args.configfile, str(REPO)))
    e = settings.experiments[args.experiment]
    dataset = settings.dataset_name(args.experiment)
    data_path = f"{settings.data.directory}/{dataset}.pt"
    device = workflow.training_device(settings.training.device)
    depths = args.depths or list(e.depths)
    rows, projected = [], []
    with tempfile.TemporaryDirectory() as scratch:
        for variant in e.variants:
            v = settings.variants[variant]
            job = settings.training_job(args.experiment, variant)
            archs = {d: init.architecture(dataset, d, v.norm, settings.network) for d in depths}
            for stage in typing.get_args(TrainingStage):
                seeds = [RunSeed(settings.seed, s) for s in e.stage_seeds(stage)]
                if not seeds:
                    continue
                weights = []
                for depth in depths:
                    for seed in seeds:
                        path = f"{scratch}/{variant}_{depth}_{seed.run}.npz"
                        params = init.init_params(archs[depth], v.init, seed, dataset)
                        init.save_params(path, params)
                        weights.append(path)
                # the reported stage trains one rate per depth; its time does not depend on which
                rates = {d: job.lrs if stage == "selection" else job.lrs[:1] for d in depths}
                models = experiments.stage_models(seeds=seeds, weights=weights, rates=rates)
                times = {}
                for epochs in (1, args.epochs):  # the difference leaves start-up and epoch 0 out
                    start = time.perf_counter()
                    experiments.train_runs(
                        variant=variant,
                        dataset_path=data_path,
                        models=models,
                        archs=archs,
                        training=replace(job, epochs=epochs),
                        measurement=settings.measurement,
                    )
                    times[epochs] = time.perf_counter() - start
                total = times[args.epochs]
                per_epoch = (total - times[1]) / (args.epochs - 1)
                projected.append(times[1] + per_epoch * (e.epochs - 1))
                rows.append(
                    {
                        "job": f"{args.experiment} {variant} {stage}",
                        "models": len(models),
                        "measured": f"{args.epochs} epochs in {total:.1f} s",
                        "seconds per epoch": f"{per_epoch:.2f}",
                        f"projected job time ({e.epochs} epochs)": f"{projected[-1] / 60:.1f} min",
                    }
                )
                print(rows[-1], flush=True)
    rows.append(
        {
            "job": f"all {len(projected)} training jobs of {args.experiment}, one after another",
            "models": sum(r["models"] for r in rows),
            "measured": "",
            "seconds per epoch": "",
            f"projected job time ({e.epochs} epochs)": f"{sum(projected) / 60:.1f} min (projection)",
        }
    )
    print(rows[-1])
    if output:
        description = (
            f"The {settings.preset} preset's training jobs of experiment {args.experiment} on {device_name(device)}, "
            f"as the workflow runs them: per variant, its selection stage ({e.selection_seeds} seeds at every "
            f"learning rate) and its reported stage ({e.n_seeds} seeds at one rate), each one job over depths "
            f"{depths} in one stack, rank measurement after every epoch, run for 1 and for {args.epochs} epochs; "
            f"the time per epoch is the difference over the extra epochs, and the job time at {e.epochs} epochs and "
            "the experiment's total are projected from it."
        )
        command = f"python benchmarks/paper_jobs.py --experiment {args.experiment} --epochs {args.epochs}"
        if args.depths:
            command += " --depths " + " ".join(map(str, depths))
        if args.configfile:
            command += " --configfile " + " ".join(args.configfile)
        save_benchmark(output, command, description, rows)


if __name__ == "__main__":
    main()
