"""How long a preset's reference runs need to converge: the measurement behind a preset's sizes.

    python benchmarks/convergence.py --configfile presets/quick.yaml --experiment fig1 --variant bn \\
        --depths 16 32 --epochs 300 [--output [PATH]]
    python benchmarks/convergence.py --configfile presets/quick.yaml --experiment vgg19 --variant bn \\
        --iterations 400

``--output`` without a PATH writes results/bench/convergence_<experiment>.json.

Trains the reference variant of one experiment as the preset would (its data set, training
and test samples, batch, learning-rate grid, width), for its first ``--seeds`` seeds, for
``--epochs`` epochs (MLP; every depth in ``--depths``) or ``--iterations`` iterations (CNN),
and reports the shortest run E from which on every run has converged by the config's
``convergence`` rule (``bnrank.claims.common.ConvergenceTest``, the rule that decides
whether a training claim is evaluated) up to the planning run's length: a run of E epochs
is the first E epochs of the longer one (training is deterministic epoch by epoch), its
learning rate the one ``select_lr`` would pick at E. "From E on" keeps a plateau, which a
short run's window reads as flat and which training later leaves, from counting.
``--curves PATH`` keeps the curves (CSV), and reads them instead of training when PATH exists.
docs/figures.md ("The quick preset") turns these numbers into the preset's sizes. The
prepared data set must exist (``snakemake results/data/<name>.pt``).
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch

from bnrank import config as config_checks
from bnrank.claims.common import ConvergenceTest
from bnrank.nets import cnn, data, experiments, init, mlp
from bnrank.nets.cnn_experiments import train_cnn_run
from bnrank.nets.train import train_batched
from bnrank.runs import output_argument, output_path, save_benchmark
from bnrank.settings import Settings
from bnrank.streams import RunSeed
from bnrank.tables import convergence_window

REPO = Path(__file__).resolve().parent.parent


def mlp_curves(s: Settings, experiment: str, variant: str, depths: list[int], seeds: int, epochs: int) -> pd.DataFrame:
    """Per-epoch metrics of the variant at every depth and rate, ``epochs`` epochs."""
    e, v = s.experiments[experiment], s.variants[variant]
    job = s.training_job(experiment, variant)
    dataset = s.dataset_name(experiment)
    prepared = data.Dataset.load(f"{s.data.directory}/{dataset}.pt")
    train, test = experiments._splits(prepared, job.train_samples, "cpu", job.test_samples)
    frames = []
    for depth in depths:
        arch = init.architecture(dataset, depth, v.norm, s.network)
        runs = [RunSeed(s.seed, k) for k in e.seeds[:seeds] for _ in job.lrs]
        params = mlp.stack([init.init_params(arch, v.init, r, dataset) for r in runs])
        start = time.perf_counter()
        metrics, _, _ = train_batched(
            arch=arch,
            params=params,
            lrs=list(job.lrs) * seeds,
            seeds=runs,
            train=train,
            test=test,
            epochs=epochs,
            batch=job.batch,
            scale=experiments.SCALES[job.input_scale],
        )
        print(f"{variant} depth {depth}: {epochs} epochs in {time.perf_counter() - start:.0f} s", flush=True)
        frames.append(pd.DataFrame(metrics).assign(depth=depth))
    return pd.concat(frames, ignore_index=True)


def cnn_curves(s: Settings, experiment: str, variant: str, seeds: int, iterations: int, folder: Path) -> pd.DataFrame:
    """Records of the variant's first ``seeds`` runs for ``iterations`` iterations."""
    e, v = s.cnn_experiments[experiment], s.cnn_variants[variant]
    dataset = s.dataset_name(experiment)
    run = s.cnn_run(experiment, variant)
    frames = []
    for k in e.seeds[:seeds]:
        seed = RunSeed(s.seed, k)
        weights = folder / f"{experiment}_{variant}_{k}.pt"
        state = cnn.initial_state(architecture=e.architecture, norm=v.norm, scheme=v.init, width=s.cnn.width, seed=seed)
        torch.save(state, weights)
        start = time.perf_counter()
        rows = train_cnn_run(
            variant_name=variant,
            dataset_path=f"{s.data.directory}/{dataset}.pt",
            weights_path=str(weights),
            architecture=e.architecture,
            variant=v,
            width=s.cnn.width,
            run=dataclasses.replace(run, iterations=iterations),
            measurement=s.measurement,
            seed=seed,
        )
        print(f"{variant} seed {k}: {iterations} iterations in {time.perf_counter() - start:.0f} s", flush=True)
        frames.append(rows.assign(depth=0))
    return pd.concat(frames, ignore_index=True)


def converged_runs(runs: pd.DataFrame, step: str, s: Settings) -> list[tuple[int, float, float, bool]]:
    """For every length E of a shorter run: (E, the rate select_lr picks at E, the mean
    training accuracy there, whether the run of E steps has converged)."""
    test = ConvergenceTest(s.convergence.max_relative_improvement, s.convergence.fit_accuracy)
    lengths = []
    for end in sorted(runs[step].unique())[1:]:
        shorter = runs[runs[step] <= end]
        final = shorter[shorter[step] == end].groupby("lr")["train_loss"].mean().fillna(float("inf"))
        lr = final.idxmin()
        chosen = shorter[shorter["lr"] == lr]
        chosen = chosen.merge(convergence_window(chosen, ["seed"], step, s.convergence.window), on="seed")
        accuracy = chosen.loc[chosen[step] == end, "train_acc"].mean()
        lengths.append((int(end), float(lr), accuracy, test.undecided({"reference": chosen}) is None))
    return lengths


def first_converged(curves: pd.DataFrame, step: str, s: Settings) -> list[dict]:
    """Per depth: the shortest run E such that every run from E steps to the planning run's
    length has converged — a plateau that a short run's window reads as flat, and that
    training later leaves, does not count — at the rate select_lr picks at E."""
    rows = []
    for depth, runs in curves.groupby("depth"):
        lengths = converged_runs(runs, step, s)
        unconverged = [i for i, (_, _, _, done) in enumerate(lengths) if not done]
        start = unconverged[-1] + 1 if unconverged else 0
        if start < len(lengths):
            end, lr, accuracy, _ = lengths[start]
            rows.append({"depth": int(depth), step: end, "lr": lr, "train_acc": accuracy})
        else:
            rows.append({"depth": int(depth), step: None, "lr": None, "train_acc": None})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configfile", nargs="*", default=[])
    parser.add_argument("--experiment", required=True)
    parser.add_argument("--variant", required=True)
    parser.add_argument("--depths", type=int, nargs="+", default=[])
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--iterations", type=int, default=400)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--curves", metavar="PATH")
    output_argument(parser, "convergence_{experiment}")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    s = Settings.from_config(config_checks.preset(args.configfile, str(REPO)))
    mlp_experiment = args.experiment in s.experiments
    step, length = ("epoch", args.epochs) if mlp_experiment else ("iteration", args.iterations)
    if args.curves and Path(args.curves).exists():
        curves = pd.read_csv(args.curves)
    elif mlp_experiment:
        curves = mlp_curves(s, args.experiment, args.variant, args.depths, args.seeds, args.epochs)
    else:
        with tempfile.TemporaryDirectory() as folder:
            curves = cnn_curves(s, args.experiment, args.variant, args.seeds, args.iterations, Path(folder))
    if args.curves:
        curves.to_csv(args.curves, index=False)
    found = first_converged(curves, step, s)
    c = s.convergence
    rule = (
        f"loss fell ≤ {c.max_relative_improvement:g} of its value over the last {c.window:g} of the run, "
        f"or training accuracy ≥ {c.fit_accuracy:g}"
    )
    print(f"{args.experiment} {args.variant}, {args.seeds} seed(s), {length} {step}s; converged when {rule}:")
    for row in found:
        where = f"depth {row['depth']}: " if step == "epoch" else ""
        if row[step] is None:
            print(f"  {where}not converged for good within {length} {step}s")
        else:
            print(
                f"  {where}converged from {row[step]} {step}s on, at lr {row['lr']:g} (accuracy {row['train_acc']:.3f})"
            )
    if output := output_path(args):
        description = (
            f"Per depth, the shortest run of {args.experiment}'s {args.variant} nets from which on every run "
            f"converged ({rule}; depth 0: a CNN), "
            f"{args.seeds} seed(s), preset {s.preset}, trained for {length} {step}s."
        )
        command = "python benchmarks/convergence.py " + " ".join(
            f"--configfile {' '.join(args.configfile)} --experiment {args.experiment} --variant {args.variant}".split()
        )
        save_benchmark(output, command, description, found)


if __name__ == "__main__":
    main()
