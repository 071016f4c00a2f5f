"""Training a VGG19 or ResNet-50 (Figs 5, 7, 10, 13) with the data set on the device.

The training images stay on the device as uint8 (N, 3, 32, 32). Each epoch has a plan
drawn from the run's seed and the epoch alone: an order of the training set and, per sample, a crop
offset and a horizontal flip (the standard CIFAR-10 augmentation: 4-pixel zero padding,
a random 32×32 crop, a random flip), applied to whole minibatches on the device by
``augment``. Inputs are then standardised per channel with the training set's mean and
standard deviation. SGD with momentum and weight decay; bf16 autocast where the device
multiplies bf16 natively (``native_bf16``: CUDA, recent CPUs), unless the config says
otherwise.

Every ``log_every`` iterations the run records its training loss and accuracy (means
over the minibatches since the last record) and measures the last hidden layer on a
fixed probe batch (``measure_last_hidden``). A run whose loss turns NaN or infinite is
recorded as diverged at that record and stops. The state is checkpointed at every
``checkpoint_every``-th iteration; a restarted run resumes there and, on the CPU, ends
exactly where an uninterrupted one does.
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from bnrank.nets.alignment import gradient_alignment
from bnrank.nets.checkpoints import Checkpoint
from bnrank.rank import rank_notions
from bnrank.settings import CnnRun, Measurement
from bnrank.streams import RunSeed, torch_generator

IMAGE = (3, 32, 32)
PAD = 4  # pixels of zero padding before the random crop


@dataclass(frozen=True)
class Images:
    """A training set on the device: uint8 images (N, 3, 32, 32) and int64 labels."""

    x: Tensor
    y: Tensor

    @classmethod
    def from_flat(cls, x: Tensor, y: Tensor, device) -> Images:
        return cls(x.reshape(len(x), *IMAGE).to(device), y.to(device))


def random_images(like: Images, generator: torch.Generator) -> Images:
    """Images of uniform random pixels 0..255 in place of ``like``'s, with its labels (Fig 10)."""
    x = torch.randint(0, 256, tuple(like.x.shape), generator=generator, dtype=torch.uint8)
    return Images(x.to(like.x.device), like.y)


def channel_statistics(x: Tensor, chunk: int = 5000) -> tuple[Tensor, Tensor]:
    """Per-channel mean and standard deviation of uint8 images (N, C, H, W), in [0, 1] units."""
    total = torch.zeros(x.shape[1], dtype=torch.float64, device=x.device)
    square = torch.zeros_like(total)
    for start in range(0, len(x), chunk):
        part = x[start : start + chunk].to(torch.float64) / 255
        total += part.sum((0, 2, 3))
        square += part.square().sum((0, 2, 3))
    count = len(x) * x.shape[2] * x.shape[3]
    mean = total / count
    return mean.float(), (square / count - mean.square()).sqrt().float()


@dataclass(frozen=True)
class Standardise:
    """uint8 images to float inputs: pixels / 255, minus the channel mean, over the channel std."""

    mean: Tensor
    std: Tensor

    def __call__(self, x: Tensor, channels_last: bool = False) -> Tensor:
        out = (x.float() / 255 - self.mean[:, None, None]) / self.std[:, None, None]
        return out.contiguous(memory_format=torch.channels_last) if channels_last else out


@dataclass(frozen=True)
class EpochPlan:
    """One epoch's order of the training set and each sample's crop offsets and flip."""

    order: Tensor
    dx: Tensor
    dy: Tensor
    flip: Tensor


def epoch_plan(seed: RunSeed, epoch: int, n: int, device) -> EpochPlan:
    """The plan of ``epoch``, from the run's ``cnn_epoch_plan`` stream of that epoch only, so a
    resumed run draws the same."""
    gen = torch_generator("cnn_epoch_plan", seed, epoch)
    order = torch.randperm(n, generator=gen)
    offsets = torch.randint(0, 2 * PAD + 1, (2, n), generator=gen)
    flip = torch.randint(0, 2, (n,), generator=gen, dtype=torch.bool)
    return EpochPlan(order.to(device), offsets[0].to(device), offsets[1].to(device), flip.to(device))


def augment(x: Tensor, dx: Tensor, dy: Tensor, flip: Tensor) -> Tensor:
    """Random crops and flips of a batch (B, C, H, W) at once: zero-pad by ``PAD``, take
    the H×W window at offsets (dy, dx) of each sample, mirror those with ``flip``."""
    b, c, h, w = x.shape
    padded = nn.functional.pad(x, (PAD, PAD, PAD, PAD))
    rows = (dy[:, None] + torch.arange(h, device=x.device))[:, None, :, None]
    cols = dx[:, None] + torch.arange(w, device=x.device)
    cols = torch.where(flip[:, None], cols.flip(1), cols)[:, None, None, :]
    batch = torch.arange(b, device=x.device)[:, None, None, None]
    channel = torch.arange(c, device=x.device)[None, :, None, None]
    return padded[batch, channel, rows, cols]


@contextlib.contextmanager
def kept_statistics(model: nn.Module) -> Iterator[None]:
    """Run ``model`` in training mode (BN on the batch's statistics) and leave its running
    statistics as they were."""
    saved = {k: v.clone() for k, v in model.named_buffers()}
    was_training = model.training
    model.train()
    try:
        yield
    finally:
        with torch.no_grad():
            for k, v in model.named_buffers():
                v.copy_(saved[k])
        model.train(was_training)


MEASURE_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def measure_last_hidden(model: nn.Module, probe: Tensor, measurement: Measurement) -> dict[str, float]:
    """The last hidden layer on the probe batch (BN on the probe's statistics, as in a
    training step; in ``measurement.dtype``, without autocast): every rank notion of H
    (features × probe samples) and the gradient alignment of the final layer (Prop. 19)."""
    dtype = MEASURE_DTYPES[measurement.dtype]
    net = model if dtype == torch.float32 else copy.deepcopy(model).to(dtype)
    with kept_statistics(net), torch.no_grad():
        hidden = net.last_hidden(probe.to(dtype))
    notions = measurement.rank_notions
    ranks = rank_notions(hidden.T[None].cpu().numpy(), notions.taus, notions.eig_threshold)
    alignment, zero = gradient_alignment(hidden)
    return {
        **{k: v[0].item() for k, v in ranks.items()},
        "alignment": alignment.item(),
        "zero_samples": int(zero.item()),
        "dtype": measurement.dtype,
    }


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` multiplies bf16 matrices natively: CUDA, or a CPU whose oneDNN
    has bf16 kernels (AVX512-BF16 or AMX)."""
    return device.type == "cuda" or torch.ops.mkldnn._is_mkldnn_bf16_supported()


def _autocast(device: torch.device, precision: str):
    """bf16 autocast for ``precision`` bfloat16, or auto on a device with native bf16."""
    bf16 = precision == "bfloat16" or (precision == "auto" and native_bf16(device))
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16)


def train_cnn(
    *,
    model: nn.Module,
    train: Images,
    probe: Tensor,
    standardise: Standardise,
    seed: RunSeed,
    run: CnnRun,
    measurement: Measurement,
    checkpoint: Checkpoint | None = None,
) -> list[dict]:
    """SGD on ``model`` for ``run.iterations`` minibatches of ``train``; ``probe`` are
    uint8 images measured at iteration 0 and every ``run.log_every`` iterations;
    ``standardise`` turns images into inputs.

    Returns one row per record: iteration, epoch (fractional), training loss and
    accuracy since the last record, the last hidden layer's rank notions and gradient
    alignment, and the iteration at which the run diverged (if it did).
    """
    device = train.x.device
    n, batch = len(train.y), run.batch
    steps = n // batch
    probe_inputs = standardise(probe)
    if run.channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimiser = torch.optim.SGD(model.parameters(), lr=run.lr, momentum=run.momentum, weight_decay=run.weight_decay)
    state = {"iteration": 0, "rows": []}
    if checkpoint is not None and (saved := checkpoint.load(map_location=device)) is not None:
        model.load_state_dict(saved["model"])
        optimiser.load_state_dict(saved["optimiser"])
        state = {"iteration": saved["iteration"], "rows": saved["rows"]}
        print(f"resumed from {checkpoint.path} at iteration {state['iteration']}", flush=True)
    step_model = torch.compile(model) if run.compile else model

    def record(iteration: int, loss: float, accuracy: float, diverged: bool) -> None:
        measured = measure_last_hidden(model, probe_inputs, measurement)
        state["rows"].append(
            {
                "iteration": iteration,
                "epoch": iteration * batch / n,
                "train_loss": loss,
                "train_acc": accuracy,
                **measured,
                "diverged_iteration": iteration if diverged else None,
            }
        )

    if not state["rows"]:
        record(0, math.nan, math.nan, False)
    model.train()
    plan, plan_epoch = None, -1
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), device=device)
    since = 0
    for it in range(state["iteration"], run.iterations):
        epoch, step = divmod(it, steps)
        if epoch != plan_epoch:
            plan, plan_epoch = epoch_plan(seed, epoch, n, device), epoch
        index = plan.order[step * batch : (step + 1) * batch]
        x = train.x[index]
        if run.augment:
            x = augment(x, plan.dx[index], plan.dy[index], plan.flip[index])
        y = train.y[index]
        with _autocast(device, run.precision):
            logits = step_model(standardise(x, run.channels_last))
            loss = nn.functional.cross_entropy(logits.float(), y)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        loss_sum += loss.detach()
        correct += (logits.argmax(1) == y).sum()
        since += 1
        done = it + 1
        if done % run.log_every and done != run.iterations:
            continue
        mean_loss = loss_sum.item() / since
        diverged = not math.isfinite(mean_loss)
        record(done, mean_loss, correct.item() / (since * batch), diverged)
        loss_sum.zero_(), correct.zero_()
        since = 0
        state["iteration"] = done
        if diverged:
            break
        if checkpoint is not None and (done % run.checkpoint_every == 0):
            checkpoint.save(
                iteration=done, rows=state["rows"], model=model.state_dict(), optimiser=optimiser.state_dict()
            )
    return state["rows"]
