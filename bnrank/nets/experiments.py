"""The MLP experiments of Figs 1, 4, 6, 11, 12: one function per workflow stage.

Each function reads the files of the previous stage (data set, weights), runs one
stage — data preparation, rank pretraining, training, measurement at initialisation —
from its settings objects (``bnrank.settings``), and returns what the stage writes
(initial weights: ``bnrank.nets.init``). A run's seed is a ``bnrank.streams.RunSeed``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import torch

from bnrank.nets import data
from bnrank.nets.checkpoints import Checkpoint, file_md5, read_stored, run_key, run_settings, write_stored
from bnrank.nets.data import probe_indices
from bnrank.nets.init import Architecture, architecture, load_params
from bnrank.nets.measure import layer_ranks
from bnrank.nets.mlp import stack, unstack
from bnrank.nets.pretrain import pretrain_rank
from bnrank.nets.train import Split, train_batched
from bnrank.settings import Measurement, Network, Norm, Pretraining, Training
from bnrank.streams import RunSeed, torch_generator
from bnrank.workflow import training_device

SCALES = {"unit": 1 / 255, "raw": 1.0}  # training.input_scale: the factor applied to uint8 pixels


def _splits(
    dataset: data.Dataset, train_samples: int | None, device, test_samples: int | None = None
) -> tuple[Split, Split]:
    """The first ``train_samples`` training and ``test_samples`` test samples (None: all), on ``device``."""
    n, m = train_samples or len(dataset.train_y), test_samples or len(dataset.test_y)
    return (
        Split(dataset.train_x[:n].to(device), dataset.train_y[:n].to(device)),
        Split(dataset.test_x[:m].to(device), dataset.test_y[:m].to(device)),
    )


def _probe(train: Split, size: int, base_seed: int, scale: float) -> torch.Tensor:
    """The fixed probe batch: the same training samples for every model, epoch and stage."""
    index = probe_indices(len(train.y), size, base_seed)
    return train.x[index].float() * scale


def initial_ranks(
    *,
    variant: str,
    dataset_path: str,
    weights: dict[tuple[int, int], str],
    dataset: str,
    norm: Norm,
    network: Network,
    train_samples: int | None,
    input_scale: str,
    measurement: Measurement,
    base_seed: int,
) -> pd.DataFrame:
    """Every rank notion of every hidden layer at initialisation; ``weights`` maps
    (depth, seed) to the files of networks of ``dataset``, ``norm`` and ``network``."""
    train, _ = _splits(data.Dataset.load(dataset_path), train_samples, "cpu")
    x = _probe(train, measurement.probe, base_seed, SCALES[input_scale])
    frames = []
    for depth in sorted({d for d, _ in weights}):
        seeds = sorted(s for d, s in weights if d == depth)
        params = stack([load_params(weights[depth, s]) for s in seeds])
        rows = pd.DataFrame(layer_ranks(architecture(dataset, depth, norm, network), params, x, measurement))
        frames.append(rows.assign(depth=depth, seed=[seeds[m] for m in rows["model"]]).drop(columns="model"))
    return pd.concat(frames, ignore_index=True).assign(variant=variant)


def pretrained_weights(
    *,
    dataset_path: str,
    weights_path: str,
    arch: Architecture,
    pretraining: Pretraining,
    train_samples: int | None,
    input_scale: str,
    measurement: Measurement,
    seed: RunSeed,
) -> tuple[dict[str, np.ndarray], pd.DataFrame, pd.DataFrame]:
    """Algorithm 1 on one network. Returns its weights; every rank notion of every hidden
    layer on the probe batch (the training figures' measurement) before and after
    pretraining, by ``stage``; and Algorithm 1's own log, r(H_ℓ) on its first and last
    minibatch per pretrained layer."""
    train, _ = _splits(data.Dataset.load(dataset_path), train_samples, "cpu")
    scale = SCALES[input_scale]
    x = _probe(train, measurement.probe, seed.base, scale)
    params = stack([load_params(weights_path)])
    before = pd.DataFrame(layer_ranks(arch, params, x, measurement)).assign(stage="before")
    log = pretrain_rank(
        arch=arch,
        params=params,
        data=train,
        pretraining=pretraining,
        scale=scale,
        generator=torch_generator("pretraining_batches", seed, arch.depth),
    )
    after = pd.DataFrame(layer_ranks(arch, params, x, measurement)).assign(stage="after")
    ranks = pd.concat([before, after], ignore_index=True).drop(columns="model")
    return unstack(params)[0], ranks.assign(depth=arch.depth, seed=seed.run), pd.DataFrame(log).drop(columns="model")


class Model(NamedTuple):
    """One model of a training job: its depth, seed, start weights' file and learning rate."""

    depth: int
    seed: RunSeed
    weights: str
    lr: float


def stage_models(*, seeds: Sequence[RunSeed], weights: Sequence[str], rates: dict[int, Sequence[float]]) -> list[Model]:
    """The models of one training stage: every (depth, seed, rate), depth by depth as
    ``rates`` lists them (its depths and each depth's rates), ``weights`` the start
    weights of each (depth, seed) in that order."""
    starts = iter(weights)
    return [
        Model(depth, seed, start, lr)
        for depth, lrs in rates.items()
        for seed, start in zip(seeds, [next(starts) for _ in seeds], strict=True)
        for lr in lrs
    ]


def model_settings(
    *,
    dataset_path: str,
    models: Sequence[Model],
    archs: dict[int, Architecture],
    training: Training,
    measurement: Measurement,
    code: Sequence[str] = (),
) -> list[dict]:
    """The settings of each model (``bnrank.nets.checkpoints.run_settings``): data set,
    start weights, seed, rate, network (``archs`` of its depth), schedule, measurement and
    the package files the job runs (``code``)."""
    t = training
    data_md5, code_md5 = file_md5(dataset_path), [file_md5(c) for c in code]
    return [
        run_settings(
            data=data_md5,
            weights=file_md5(model.weights),
            seed=model.seed,
            code=code_md5,
            lr=model.lr,
            network=archs[model.depth],
            epochs=t.epochs,
            batch=t.batch,
            train_samples=t.train_samples,
            test_samples=t.test_samples,
            input_scale=t.input_scale,
            measurement=measurement,
        )
        for model in models
    ]


def batch_settings(models: Sequence[dict]) -> dict:
    """The settings of models trained in one batch: those they share, and each model's own."""
    shared = {k: v for k, v in models[0].items() if all(m.get(k) == v for m in models)}
    return {**shared, "models": [{k: v for k, v in m.items() if k not in shared} for m in models]}


def _model_file(store: Path, seed: RunSeed, lr: float) -> Path:
    """Where ``train_runs`` keeps a finished model's rows and key, in its depth's ``store``."""
    return store / f"seed{seed.run}_lr{lr}.json"


def at_selected_rate(training: Training, selected: pd.DataFrame, variant: str, depth: int) -> Training:
    """``training`` with the one learning rate ``select_lr`` chose for (``variant``, ``depth``)
    (a row of ``tables.select_learning_rates``): the reported stage's schedule."""
    row = selected[(selected["variant"] == variant) & (selected["depth"] == depth)]
    if len(row) != 1:
        raise ValueError(f"select_lr chose {len(row)} rates for variant {variant!r} at depth {depth}, expected one")
    lr = float(row["lr"].iloc[0])
    if lr not in training.lrs:
        raise ValueError(f"select_lr chose {lr} for variant {variant!r}, outside its grid {list(training.lrs)}")
    return dataclasses.replace(training, lrs=(lr,))


def train_runs(
    *,
    variant: str,
    dataset_path: str,
    models: Sequence[Model],
    archs: dict[int, Architecture],
    training: Training,
    measurement: Measurement,
    checkpoint: Path | None = None,
    stores: dict[int, Path] | None = None,
    code: Sequence[str] = (),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train ``models`` — any depths, seeds and learning rates of one variant — in one stack
    (``bnrank.nets.train``); ``archs`` maps each depth to its network. Returns per-epoch
    metrics and per-epoch rank notions on the probe batch, model by model in the order given.

    With ``stores`` (a folder per depth), each finished model's rows are kept there under
    its key (``model_settings``), and a model whose key is found is not trained again: a
    grid grown by a depth, a seed or a learning rate trains only its new models, in one
    stack. A model's result does not depend on the stack it was trained in (one thread
    on the CPU: bit for bit), so a grown grid gives the files a fresh run of it gives.
    """
    settings = model_settings(
        dataset_path=dataset_path, models=models, archs=archs, training=training, measurement=measurement, code=code
    )
    keys = [run_key(s) for s in settings]
    files = [None if stores is None else _model_file(Path(stores[m.depth]), m.seed, m.lr) for m in models]
    finished = {}
    for m, (file, key) in enumerate(zip(files, keys, strict=True)):
        if file is not None and (saved := read_stored(file, key)) is not None:
            finished[m] = saved
    todo = sorted((m for m in range(len(models)) if m not in finished), key=lambda m: -models[m].depth)
    print(f"{len(models)} models: {len(finished)} finished before, {len(todo)} to train", flush=True)
    if todo:
        trained = _train_models(
            models=[models[m] for m in todo],
            dataset_path=dataset_path,
            arch=archs[models[todo[0]].depth],
            training=training,
            measurement=measurement,
            checkpoint=None
            if checkpoint is None
            else Checkpoint(checkpoint, batch_settings([settings[m] for m in todo])),
        )
        for m, (metrics, ranks) in zip(todo, trained, strict=True):
            finished[m] = {"metrics": metrics, "ranks": ranks}
            if files[m] is not None:
                write_stored(files[m], keys[m], metrics=metrics, ranks=ranks)
    frames = [
        pd.concat([pd.DataFrame(finished[m][part]).assign(model=m) for m in range(len(models))], ignore_index=True)
        for part in ("metrics", "ranks")
    ]
    return tuple(f.assign(variant=variant, depth=[models[m].depth for m in f["model"]]) for f in frames)


def _train_models(
    *,
    models: Sequence[Model],
    dataset_path: str,
    arch: Architecture,
    training: Training,
    measurement: Measurement,
    checkpoint: Checkpoint | None,
) -> list[tuple[list[dict], list[dict]]]:
    """Train ``models`` (deepest first; ``arch`` the deepest's network) in one stack; each
    model's metrics and rank rows."""
    t = training
    dev = training_device(t.device)
    train, test = _splits(data.Dataset.load(dataset_path), t.train_samples, dev, t.test_samples)
    scale = SCALES[t.input_scale]
    x = _probe(train, measurement.probe, models[0].seed.base, scale)
    params = stack([load_params(m.weights) for m in models], dev)

    def measure(epoch: int, p: dict[str, torch.Tensor]) -> list[dict]:
        return [dict(row, epoch=epoch) for row in layer_ranks(arch, p, x, measurement)]

    metrics, ranks, _ = train_batched(
        arch=arch,
        params=params,
        lrs=[m.lr for m in models],
        seeds=[m.seed for m in models],
        train=train,
        test=test,
        epochs=t.epochs,
        batch=t.batch,
        scale=scale,
        checkpoint=checkpoint,
        checkpoint_seconds=t.checkpoint_seconds,
        on_epoch=measure,
        cuda_graph=t.cuda_graph,
    )
    by_model = [([], []) for _ in models]
    for row in metrics:
        by_model[row["model"]][0].append({k: v for k, v in row.items() if k != "model"})
    for row in ranks:
        m = row["model"]
        by_model[m][1].append(
            {k: v for k, v in row.items() if k != "model"} | {"seed": models[m].seed.run, "lr": models[m].lr}
        )
    return by_model
