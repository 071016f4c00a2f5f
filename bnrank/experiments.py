"""The network experiments of Figs 1, 4, 6, 11, 12: one function per workflow stage.

Each function reads the files of the previous stage (data set, weights), runs one
stage — data preparation, rank pretraining, training, measurement, learning-rate
selection — and returns what the stage writes (initial weights: ``bnrank.init``).
Seeds are pairs (config seed, run).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from bnrank import data
from bnrank.init import architecture, load_params
from bnrank.measure import layer_ranks, probe_indices
from bnrank.mlp import stack, unstack
from bnrank.pretrain import pretrain_rank, schedule
from bnrank.train import Split, fingerprint, train_batched

SCALES = {"unit": 1 / 255, "raw": 1.0}


def prepare_dataset(kind: str, cache: str, **sources) -> data.Dataset:
    """The data set ``kind`` from its sources (FIGURES.md §3), or the CIFAR-10 stand-in."""
    if kind == "fashion_mnist":
        return data.fashion_mnist(sources["directory"], sources["debian_dir"], sources["url"], cache)
    if kind == "cifar10":
        return data.cifar10(sources["directory"], sources["url"], cache)
    if kind == "cifar10_synthetic":
        return data.synthetic_cifar10(**sources)
    raise ValueError(f"unknown data set {kind!r}")


def _device(name: str) -> torch.device:
    if name != "auto":
        return torch.device(name)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


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
    norm: str,
    arch: dict,
    train_samples: int | None,
    probe: int,
    base_seed: int,
    input_scale: str,
    dtype: str,
    taus: Sequence[float],
    eig_threshold: float,
) -> pd.DataFrame:
    """Every rank notion of every hidden layer at initialisation; ``weights`` maps (depth, seed) to files."""
    train, _ = _splits(data.Dataset.load(dataset_path), train_samples, "cpu")
    x = _probe(train, probe, base_seed, SCALES[input_scale])
    frames = []
    for depth in sorted({d for d, _ in weights}):
        seeds = sorted(s for d, s in weights if d == depth)
        params = stack([load_params(weights[depth, s]) for s in seeds])
        rows = pd.DataFrame(layer_ranks(architecture(dataset, depth, norm, **arch), params, x, None, dtype, taus, eig_threshold))
        frames.append(rows.assign(depth=depth, seed=[seeds[m] for m in rows["model"]]).drop(columns="model"))
    return pd.concat(frames, ignore_index=True).assign(variant=variant)


def pretrained_weights(
    dataset_path: str,
    weights_path: str,
    dataset: str,
    depth: int,
    arch: dict,
    settings: dict,
    train_samples: int | None,
    input_scale: str,
    seed: tuple[int, int],
) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
    """Algorithm 1 on one network; returns its weights and r(H_ℓ) before/after per layer."""
    network = architecture(dataset, depth, "none", **arch)
    train, _ = _splits(data.Dataset.load(dataset_path), train_samples, "cpu")
    params = stack([load_params(weights_path)])
    settings = dict(settings)
    layers = schedule(depth, settings.pop("every"), settings.pop("last"))
    generator_seed = int(np.random.SeedSequence([*seed, depth, 11]).generate_state(1)[0])
    log = pretrain_rank(network, params, train, layers, scale=SCALES[input_scale], seed=generator_seed, **settings)
    return unstack(params)[0], pd.DataFrame(log).drop(columns="model")


def train_runs(
    variant: str,
    dataset_path: str,
    weights: Sequence[str],
    seeds: Sequence[tuple[int, int]],
    lrs: Sequence[float],
    dataset: str,
    depth: int,
    norm: str,
    arch: dict,
    epochs: int,
    batch: int,
    train_samples: int | None,
    input_scale: str,
    probe: int,
    measure_dtype: str,
    taus: Sequence[float],
    eig_threshold: float,
    device: str,
    checkpoint: Path | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train every (seed, learning rate) of one architecture at once (``bnrank.train``).

    ``weights[i]`` is the starting point of seed ``seeds[i]``. Returns per-epoch metrics
    and per-epoch rank notions of every hidden layer on the probe batch.
    """
    dev = _device(device)
    network = architecture(dataset, depth, norm, **arch)
    train, test = _splits(data.Dataset.load(dataset_path), train_samples, dev)
    scale = SCALES[input_scale]
    x = _probe(train, probe, seeds[0][0], scale)
    models = [(s, w, lr) for s, w in zip(seeds, weights) for lr in lrs]
    params = stack([load_params(w) for _, w, _ in models], dev)
    run_id = fingerprint(
        weights=[hashlib.md5(Path(w).read_bytes()).hexdigest() for w in weights],
        seeds=seeds, lrs=lrs, network=network, epochs=epochs, batch=batch, n=len(train.y), scale=scale,
    )

    def measure(epoch: int, p: dict[str, torch.Tensor]) -> list[dict]:
        return [dict(row, epoch=epoch) for row in layer_ranks(network, p, x, None, measure_dtype, taus, eig_threshold)]

    metrics, ranks, _ = train_batched(
        network, params, [lr for *_, lr in models], [s for s, *_ in models], train, test,
        epochs, batch, scale, checkpoint, measure, run_id,
    )
    model_index = pd.DataFrame({"model": range(len(models)), "seed": [s[1] for s, *_ in models], "lr": [lr for *_, lr in models]})
    ranks = pd.DataFrame(ranks).merge(model_index, on="model")
    return pd.DataFrame(metrics).assign(variant=variant, depth=depth), ranks.assign(variant=variant, depth=depth)
