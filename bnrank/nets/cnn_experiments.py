"""The CNN experiments of Figs 5, 7, 10, 13: the training stage (initial weights:
``bnrank.nets.cnn.initial_state``). A run's seed is a ``bnrank.streams.RunSeed``."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import torch

from bnrank.nets import data
from bnrank.nets.checkpoints import Checkpoint, file_md5, run_settings
from bnrank.nets.cnn import build_cnn
from bnrank.nets.cnn_train import Images, Standardise, channel_statistics, random_images, train_cnn
from bnrank.nets.data import probe_indices
from bnrank.settings import CnnArchitecture, CnnRun, CnnVariant, Measurement
from bnrank.streams import RunSeed, torch_generator
from bnrank.workflow import training_device


def train_cnn_run(
    *,
    variant_name: str,
    dataset_path: str,
    weights_path: str,
    architecture: CnnArchitecture,
    variant: CnnVariant,
    width: float,
    run: CnnRun,
    measurement: Measurement,
    seed: RunSeed,
    checkpoint: Path | None = None,
    code: Sequence[str] = (),
) -> pd.DataFrame:
    """One CNN run (``bnrank.nets.cnn_train``) from its initial weights; its records as a frame.

    The run trains on the first ``run.train_samples`` images (all if None). A ``random``
    variant trains on uniform 0..255 images drawn from its seed, with the
    data set's labels, standardised like the data set's images. The probe batch is a
    fixed set of the images it trains on. Augmentation runs on real data sets only:
    the stand-in's class prototypes are fixed patterns that flips and shifts would
    turn into other patterns. The checkpoint belongs to the run's settings
    (``bnrank.nets.checkpoints``), the package files it runs (``code``) included.
    """
    device = training_device(run.device)
    dataset = data.Dataset.load(dataset_path)
    n = run.train_samples or len(dataset.train_y)
    train = Images.from_flat(dataset.train_x[:n], dataset.train_y[:n], device)
    standardise = Standardise(*channel_statistics(train.x))
    if variant.inputs == "random":
        train = random_images(train, torch_generator("random_images", seed))
    probe = train.x[torch.as_tensor(probe_indices(len(train.y), measurement.probe, seed.base), device=device)]
    model = build_cnn(architecture, variant.norm, width)
    model.load_state_dict(torch.load(weights_path, weights_only=True))
    run = dataclasses.replace(run, augment=run.augment and not dataset.synthetic)
    settings = run_settings(
        data=file_md5(dataset_path),
        weights=file_md5(weights_path),
        seed=seed,
        code=[file_md5(c) for c in code],
        architecture=architecture,
        width=width,
        variant=variant,
        run=run,
        measurement=measurement,
    )
    rows = train_cnn(
        model=model.to(device),
        train=train,
        probe=probe,
        standardise=standardise,
        seed=seed,
        run=run,
        measurement=measurement,
        checkpoint=None if checkpoint is None else Checkpoint(checkpoint, settings),
    )
    return pd.DataFrame(rows).assign(
        variant=variant_name,
        seed=seed.run,
        lr=run.lr,
        architecture=architecture,
        width=width,
        norm=variant.norm,
        init=variant.init,
        inputs=variant.inputs,
        augment=run.augment,
        batch=run.batch,
    )
