"""The CNN trainer of Figs 5, 7, 10, 13: batched augmentation on the device, exact resume,
divergence, the probe measurement, and CUDA against the CPU."""

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
import torch

from bnrank.nets import cnn_train
from bnrank.nets.checkpoints import Checkpoint
from bnrank.nets.cnn import build_cnn, init_cnn
from bnrank.nets.cnn_train import Images, Standardise, augment, channel_statistics, epoch_plan, train_cnn
from bnrank.settings import CnnRun, Measurement, RankNotions
from bnrank.streams import RunSeed, torch_generator

MEASUREMENT = Measurement(16, "float32", RankNotions((0.5,), 1e-9))
RUN = CnnRun(
    iterations=8,
    batch=16,
    lr=0.01,
    momentum=0.9,
    weight_decay=5e-4,
    log_every=2,
    checkpoint_every=4,
    augment=True,
    device="cpu",
    precision="auto",
    channels_last=True,
    compile=False,
)


@pytest.fixture(scope="module")
def images():
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (96, 3, 32, 32), generator=gen, dtype=torch.uint8)
    return Images(x, torch.randint(0, 10, (96,), generator=gen))


def model(norm="bn", architecture="vgg19"):
    return init_cnn(build_cnn(architecture, norm, 1 / 16), "pytorch", torch_generator("cnn_init", RunSeed(0, 0)))


def same(a, b):
    pd.testing.assert_frame_equal(pd.DataFrame(a), pd.DataFrame(b), check_exact=True)


def run(images, net=None, checkpoint=None, run_id="a", **changes):
    settings = dataclasses.replace(RUN, **changes)
    return train_cnn(
        model=net or model(),
        train=images,
        probe=images.x[:16],
        standardise=Standardise(*channel_statistics(images.x)),
        seed=RunSeed(2020, 0),
        run=settings,
        measurement=MEASUREMENT,
        checkpoint=None if checkpoint is None else Checkpoint(checkpoint, {"run": run_id}),
    )


def test_augment_crops_and_flips_each_sample_of_a_batch():
    x = torch.arange(2 * 3 * 32 * 32).reshape(2, 3, 32, 32)
    centre, flip = torch.tensor([4, 4]), torch.tensor([False, True])
    out = augment(x, centre, centre, flip)
    assert torch.equal(out[0], x[0]) and torch.equal(out[1], x[1].flip(-1))
    corner = augment(x, torch.tensor([0, 8]), torch.tensor([0, 8]), torch.tensor([False, False]))
    assert torch.equal(corner[0, :, 4:, 4:], x[0, :, :28, :28]) and (corner[0, :, :4] == 0).all()
    assert torch.equal(corner[1, :, :28, :28], x[1, :, 4:, 4:]) and (corner[1, :, 28:] == 0).all()


def test_epoch_plans_depend_on_seed_and_epoch_only():
    a, b = epoch_plan(RunSeed(1, 2), 3, 50, "cpu"), epoch_plan(RunSeed(1, 2), 3, 50, "cpu")
    assert all(torch.equal(getattr(a, f), getattr(b, f)) for f in ("order", "dx", "dy", "flip"))
    assert not torch.equal(a.order, epoch_plan(RunSeed(1, 2), 4, 50, "cpu").order)
    assert sorted(a.order.tolist()) == list(range(50)) and 0 <= a.dx.min() and a.dx.max() <= 2 * cnn_train.PAD


def test_channel_statistics_match_numpy(images):
    mean, std = channel_statistics(images.x, chunk=7)
    x = images.x.numpy() / 255
    assert np.allclose(mean, x.mean((0, 2, 3)), atol=1e-6) and np.allclose(std, x.std((0, 2, 3)), atol=1e-6)


def test_records_every_log_every_iterations_with_rank_and_alignment(images):
    rows = run(images)
    assert [r["iteration"] for r in rows] == [0, 2, 4, 6, 8]
    assert math.isnan(rows[0]["train_acc"]) and all(0 <= r["train_acc"] <= 1 for r in rows[1:])
    assert all(1 <= r["matrix_rank"] <= 16 and 0 < r["alignment"] <= 1 for r in rows)
    assert all(r["diverged_iteration"] is None for r in rows)


@pytest.mark.parametrize("norm", ["bn", "bn_nocenter", "none"])
@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_every_normalisation_trains_in_both_precisions(images, norm, precision):
    rows = run(images, net=model(norm), iterations=2, precision=precision)
    assert rows[-1]["iteration"] == 2 and math.isfinite(rows[-1]["train_loss"])


def test_a_resumed_run_ends_exactly_where_an_uninterrupted_one_does(images, tmp_path):
    whole = run(images)
    checkpoint = tmp_path / "checkpoint.pt"
    run(images, checkpoint=checkpoint, iterations=4)  # "killed" after the checkpoint at iteration 4
    saved = torch.load(checkpoint, weights_only=True)  # no pickled objects: safe to load
    assert saved["iteration"] == 4
    resumed = run(images, checkpoint=checkpoint)
    same(resumed, whole)


def test_a_checkpoint_of_another_run_is_not_resumed(images, tmp_path):
    checkpoint = tmp_path / "checkpoint.pt"
    run(images, checkpoint=checkpoint, iterations=4, run_id="other")
    same(run(images, checkpoint=checkpoint), run(images))


def test_a_diverged_run_is_recorded_and_stops(images):
    rows = run(images, net=model("none"), lr=1e8, weight_decay=0.0)
    assert rows[-1]["diverged_iteration"] == rows[-1]["iteration"] < RUN.iterations
    assert not math.isfinite(rows[-1]["train_loss"])


def test_the_probe_measurement_leaves_running_statistics_alone(images):
    net = model("bn")
    before = {k: v.clone() for k, v in net.named_buffers()}
    net.eval()
    cnn_train.measure_last_hidden(net, torch.randn(16, 3, 32, 32), MEASUREMENT)
    assert not net.training
    assert all(torch.equal(v, before[k]) for k, v in net.named_buffers())


def test_random_images_keep_the_labels(images):
    draw = lambda: cnn_train.random_images(images, torch_generator("random_images", RunSeed(0, 3)))  # noqa: E731
    noise = draw()
    assert torch.equal(noise.y, images.y) and noise.x.dtype == torch.uint8
    assert not torch.equal(noise.x, images.x) and torch.equal(noise.x, draw().x)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device; run where one is present")
@pytest.mark.parametrize(("precision", "tolerance"), [("float32", 1e-3), ("bfloat16", 5e-2)])
def test_cnn_training_on_cuda_matches_the_cpu(images, precision, tolerance):
    """The first iterations on CUDA (TF32 off in float32) match the CPU's: losses within
    ``tolerance`` relative, in float32 and under bf16 autocast."""
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    cpu = run(images, iterations=4, log_every=1, precision=precision)
    gpu_images = Images(images.x.cuda(), images.y.cuda())
    standardise = Standardise(*channel_statistics(gpu_images.x))
    settings = dataclasses.replace(RUN, iterations=4, log_every=1, precision=precision, device="cuda")
    gpu = train_cnn(
        model=model().cuda(),
        train=gpu_images,
        probe=gpu_images.x[:16],
        standardise=standardise,
        seed=RunSeed(2020, 0),
        run=settings,
        measurement=MEASUREMENT,
    )
    for c, g in zip(cpu[1:], gpu[1:], strict=True):
        assert math.isclose(c["train_loss"], g["train_loss"], rel_tol=tolerance), (c, g)
