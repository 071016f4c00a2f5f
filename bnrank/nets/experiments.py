"""The MLP experiments of Figs 1, 4, 6, 11, 12: one function per workflow stage.

Each function reads the files of the previous stage (data set, weights), runs one
stage — data preparation, rank pretraining, training, measurement at initialisation —
from its settings objects (``bnrank.settings``), and returns what the stage writes
(initial weights: ``bnrank.nets.init``). Seeds are pairs (config seed, run).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from bnrank.nets import data
from bnrank.nets.data import probe_indices
from bnrank.nets.init import Architecture, architecture, load_params
from bnrank.nets.measure import layer_ranks
from bnrank.nets.mlp import stack, unstack
from bnrank.nets.pretrain import pretrain_rank
from bnrank.nets.train import Split, train_batched
from bnrank.settings import Measurement, Network, Norm, Pretraining, Training
from bnrank.workflow import fingerprint, training_device

SCALES = {"unit": 1 / 255, "raw": 1.0}  # training.input_scale: the factor applied to uint8 pixels


def _splits(dataset: data.Dataset, train_samples: int | None, device) -> tuple[Split, Split]:
    """The training split (its first ``train_samples``, if given) and the test split, on ``device``."""
    n = len(dataset.train_y) if train_samples is None else train_samples
    return (
        Split(dataset.train_x[:n].to(device), dataset.train_y[:n].to(device)),
        Split(dataset.test_x.to(device), dataset.test_y.to(device)),
    )


def _probe(train: Split, size: int, base_seed: int, scale: float) -> torch.Tensor:
    """The fixed probe batch: the same training samples for every model, epoch and stage."""
    index = probe_indices(len(train.y), size, base_seed)
    return train.x[index].float() * scale


def initial_ranks(
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
    dataset_path: str,
    weights_path: str,
    arch: Architecture,
    pretraining: Pretraining,
    train_samples: int | None,
    input_scale: str,
    measurement: Measurement,
    seed: tuple[int, int],
) -> tuple[dict[str, np.ndarray], pd.DataFrame, pd.DataFrame]:
    """Algorithm 1 on one network. Returns its weights; every rank notion of every hidden
    layer on the probe batch (the training figures' measurement) before and after
    pretraining, by ``stage``; and Algorithm 1's own log, r(H_ℓ) on its first and last
    minibatch per pretrained layer."""
    train, _ = _splits(data.Dataset.load(dataset_path), train_samples, "cpu")
    scale = SCALES[input_scale]
    x = _probe(train, measurement.probe, seed[0], scale)
    params = stack([load_params(weights_path)])
    before = pd.DataFrame(layer_ranks(arch, params, x, measurement)).assign(stage="before")
    generator_seed = int(np.random.SeedSequence([*seed, arch.depth, 11]).generate_state(1)[0])
    log = pretrain_rank(arch, params, train, pretraining, scale, generator_seed)
    after = pd.DataFrame(layer_ranks(arch, params, x, measurement)).assign(stage="after")
    ranks = pd.concat([before, after], ignore_index=True).drop(columns="model")
    return unstack(params)[0], ranks.assign(depth=arch.depth, seed=seed[1]), pd.DataFrame(log).drop(columns="model")


def model_keys(
    dataset_path: str,
    weights: Sequence[str],
    seeds: Sequence[tuple[int, int]],
    arch: Architecture,
    training: Training,
    measurement: Measurement,
    code: Sequence[str] = (),
) -> list[str]:
    """One key per (seed, ``training.lrs``) model, in the order of ``train_runs``: a hash of
    everything its result depends on — data set, start weights, seed, rate, network,
    schedule, measurement and the package files the job runs (``code``)."""
    t = training

    def md5(path: str) -> str:
        return data.md5(Path(path).read_bytes())

    common = dict(
        data=md5(dataset_path),
        network=arch,
        epochs=t.epochs,
        batch=t.batch,
        train_samples=t.train_samples,
        scale=t.input_scale,
        measurement=measurement,
        code=sorted(md5(c) for c in code),
    )
    starts = [md5(w) for w in weights]
    return [
        fingerprint(weights=start, seed=s, lr=lr, **common)
        for s, start in zip(seeds, starts, strict=True)
        for lr in t.lrs
    ]


def _model_file(store: Path, seed: tuple[int, int], lr: float) -> Path:
    """Where ``train_runs`` keeps a finished model's rows and key."""
    return store / f"seed{seed[1]}_lr{lr}.json"


def _finished_model(store: Path, seed: tuple[int, int], lr: float, key: str) -> dict | None:
    """The rows of a model trained before with this key, or None."""
    path = _model_file(store, seed, lr)
    if not path.exists():
        return None
    saved = json.loads(path.read_text())
    return saved if saved["key"] == key else None


def _keep_model(store: Path, seed: tuple[int, int], lr: float, key: str, metrics: list, ranks: list) -> None:
    store.mkdir(parents=True, exist_ok=True)
    path = _model_file(store, seed, lr)
    partial = path.with_name(path.name + ".part")
    partial.write_text(json.dumps({"key": key, "metrics": metrics, "ranks": ranks}))
    partial.replace(path)


def train_runs(
    variant: str,
    dataset_path: str,
    weights: Sequence[str],
    seeds: Sequence[tuple[int, int]],
    arch: Architecture,
    training: Training,
    measurement: Measurement,
    checkpoint: Path | None = None,
    store: Path | None = None,
    code: Sequence[str] = (),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train every (seed, learning rate) of one architecture at once (``bnrank.nets.train``).

    ``weights[i]`` is the starting point of seed ``seeds[i]``; the learning rates are
    ``training.lrs``. Returns per-epoch metrics and per-epoch rank notions of every
    hidden layer on the probe batch, model by model in (seed, rate) order.

    With a ``store`` folder, each finished model's rows are kept there under its key
    (``model_keys``), and a model whose key is found is not trained again: a grid grown
    by a seed or a learning rate trains only its new models, in one batch. A model's
    result does not depend on the batch it was trained in (one thread on the CPU: bit
    for bit), so a grown grid gives the files a fresh run of it gives.
    """
    t = training
    models = [(s, w, lr) for s, w in zip(seeds, weights, strict=True) for lr in t.lrs]
    keys = model_keys(dataset_path, weights, seeds, arch, t, measurement, code)
    finished = {}
    if store is not None:
        for m, ((seed, _, lr), key) in enumerate(zip(models, keys, strict=True)):
            if (saved := _finished_model(store, seed, lr, key)) is not None:
                finished[m] = saved
    todo = [m for m in range(len(models)) if m not in finished]
    print(f"{len(models)} models: {len(finished)} finished before, {len(todo)} to train", flush=True)
    if todo:
        trained = _train_models(
            [models[m] for m in todo],
            dataset_path,
            arch,
            t,
            measurement,
            checkpoint,
            fingerprint(keys=[keys[m] for m in todo]),
        )
        for m, (metrics, ranks) in zip(todo, trained, strict=True):
            finished[m] = {"metrics": metrics, "ranks": ranks}
            if store is not None:
                _keep_model(store, models[m][0], models[m][2], keys[m], metrics, ranks)
    frames = {
        part: pd.concat(
            [pd.DataFrame(finished[m][part]).assign(model=m) for m in range(len(models))], ignore_index=True
        )
        for part in ("metrics", "ranks")
    }
    return (
        frames["metrics"].assign(variant=variant, depth=arch.depth),
        frames["ranks"].assign(variant=variant, depth=arch.depth),
    )


def _train_models(
    models: Sequence[tuple[tuple[int, int], str, float]],
    dataset_path: str,
    arch: Architecture,
    training: Training,
    measurement: Measurement,
    checkpoint: Path | None,
    run_id: str,
) -> list[tuple[list[dict], list[dict]]]:
    """Train (seed, start weights, rate) models in one batch; each model's metrics and rank rows."""
    t = training
    dev = training_device(t.device)
    train, test = _splits(data.Dataset.load(dataset_path), t.train_samples, dev)
    scale = SCALES[t.input_scale]
    x = _probe(train, measurement.probe, models[0][0][0], scale)
    params = stack([load_params(w) for _, w, _ in models], dev)

    def measure(epoch: int, p: dict[str, torch.Tensor]) -> list[dict]:
        return [dict(row, epoch=epoch) for row in layer_ranks(arch, p, x, measurement)]

    metrics, ranks, _ = train_batched(
        arch,
        params,
        [lr for *_, lr in models],
        [s for s, *_ in models],
        train,
        test,
        t.epochs,
        t.batch,
        scale,
        checkpoint,
        measure,
        run_id,
    )
    by_model = [([], []) for _ in models]
    for row in metrics:
        by_model[row["model"]][0].append({k: v for k, v in row.items() if k != "model"})
    for row in ranks:
        (seed, _, lr), m = models[row["model"]], row["model"]
        by_model[m][1].append({k: v for k, v in row.items() if k != "model"} | {"seed": seed[1], "lr": lr})
    return by_model
