"""The CNN experiments of Figs 5, 7, 10, 13: the training stage (initial weights:
``bnrank.nets.cnn.initial_state``). Seeds are pairs (config seed, run)."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pandas as pd
import torch

from bnrank.nets import data
from bnrank.nets.cnn import build_cnn, stream_seed
from bnrank.nets.cnn_train import Images, Standardise, channel_statistics, random_images, train_cnn
from bnrank.nets.data import probe_indices
from bnrank.settings import CnnArchitecture, CnnRun, CnnVariant, Measurement
from bnrank.workflow import fingerprint, training_device


def train_cnn_run(
    variant_name: str,
    dataset_path: str,
    weights_path: str,
    architecture: CnnArchitecture,
    variant: CnnVariant,
    width: float,
    run: CnnRun,
    measurement: Measurement,
    seed: tuple[int, int],
    checkpoint: Path | None = None,
) -> pd.DataFrame:
    """One CNN run (``bnrank.nets.cnn_train``) from its initial weights; its records as a frame.

    A ``random`` variant trains on uniform 0..255 images drawn from its seed, with the
    data set's labels, standardised like the data set's images. The probe batch is a
    fixed set of the images it trains on. Augmentation runs on real data sets only:
    the stand-in's class prototypes are fixed patterns that flips and shifts would
    turn into other patterns.
    """
    device = training_device(run.device)
    dataset = data.Dataset.load(dataset_path)
    train = Images.from_flat(dataset.train_x, dataset.train_y, device)
    standardise = Standardise(*channel_statistics(train.x))
    if variant.inputs == "random":
        train = random_images(train, stream_seed(seed, 13))
    probe = train.x[torch.as_tensor(probe_indices(len(train.y), measurement.probe, seed[0]), device=device)]
    model = build_cnn(architecture, variant.norm, width)
    model.load_state_dict(torch.load(weights_path, weights_only=True))
    run = dataclasses.replace(run, augment=run.augment and not dataset.synthetic)
    run_id = fingerprint(
        weights=hashlib.md5(Path(weights_path).read_bytes()).hexdigest(),
        dataset=dataset.source,
        run=run,
        variant=variant,
        architecture=architecture,
        width=width,
        seed=seed,
    )
    rows = train_cnn(model.to(device), train, probe, standardise, seed, run, measurement, checkpoint, run_id)
    return pd.DataFrame(rows).assign(
        variant=variant_name,
        seed=seed[1],
        lr=run.lr,
        architecture=architecture,
        width=width,
        norm=variant.norm,
        init=variant.init,
        inputs=variant.inputs,
        augment=run.augment,
        batch=run.batch,
    )
