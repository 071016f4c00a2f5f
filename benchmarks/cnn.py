"""Training throughput of the CNN trainer against an ordinary torchvision DataLoader loop.

    python benchmarks/cnn.py [--output [PATH]]   # VGG19 and ResNet-50, published widths
    python benchmarks/cnn.py --quick              # a smoke test of this script

``--output`` without a PATH writes results/bench/cnn.json (as ``make bench`` does).

Both sides train the same network from the same weights with SGD (momentum 0.9, weight
decay 5e-4), the same batch size and number of steps, on the same CIFAR-shaped images
with random crops and flips:

- this project's trainer (``bnrank.nets.cnn_train.train_cnn``, as a ``train_cnn`` job
  runs it): the uint8 images on the device, each minibatch augmented there in a few
  tensor operations, bf16 autocast and channels-last where the device multiplies bf16
  natively, the probe-batch measurement at the start and the end included;
- the loop a user would write: torchvision transforms per sample (``RandomCrop(32,
  padding=4)``, ``RandomHorizontalFlip``, ``ToTensor``, ``Normalize``) on PIL images in
  a ``DataLoader`` with ``--workers`` worker processes (persistent, warmed up), float32.

It prints images per second of both, how the trainer compares ("2.1× faster", or "1.4×
slower": ``bnrank.runs.speed_comparison``; the JSON rows also hold ``speedup``, the loop's
time over the trainer's, above 1 when the trainer is faster), and the model-FLOP
utilisation of each (FLOP of a forward and backward pass counted by
``torch.utils.flop_counter``) against the float32 and bf16 matrix-multiply peaks measured
in the same run. The two sides run interleaved, ``--repeats`` times; medians are reported.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torch.utils.flop_counter import FlopCounterMode
from torchvision import transforms

from bnrank.nets import cnn
from bnrank.nets.cnn import build_cnn
from bnrank.nets.cnn_train import Images, Standardise, channel_statistics, native_bf16, train_cnn
from bnrank.runs import matmul_peak, output_argument, output_path, save_benchmark, speed_comparison
from bnrank.settings import CnnRun, Measurement, RankNotions
from bnrank.streams import RunSeed

MEASUREMENT = Measurement(128, "float32", RankNotions((0.5,), 1e-9))


class Cifar(Dataset):
    """CIFAR-10 as torchvision's ``CIFAR10`` serves it: an HWC uint8 array, a PIL image per sample."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, transform) -> None:
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        return self.transform(Image.fromarray(self.images[i])), int(self.labels[i])


def training_flop(model: torch.nn.Module, batch: int) -> int:
    """FLOP of one forward and backward pass of ``batch`` images."""
    x = torch.randn(batch, 3, 32, 32)
    with FlopCounterMode(display=False) as counter:
        model(x).sum().backward()
    model.zero_grad(set_to_none=True)
    return counter.get_total_flops()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="width 1/16, 2 steps of 32: a smoke test")
    parser.add_argument("--models", nargs="+", default=["vgg19", "resnet50"])
    parser.add_argument("--steps", type=int, help="SGD steps per side (default 10 on a CPU, 100 on a GPU)")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--workers", type=int, default=2, help="DataLoader worker processes")
    parser.add_argument("--repeats", type=int, default=3)
    output_argument(parser, "cnn")
    args = parser.parse_args()
    output = output_path(args)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    width, batch = (1 / 16, 32) if args.quick else (1.0, args.batch)
    steps = 2 if args.quick else args.steps or (100 if device.type == "cuda" else 10)
    bf16 = native_bf16(device)
    peaks = {"float32": matmul_peak(device, torch.float32), "bfloat16": matmul_peak(device, torch.bfloat16)}

    gen = torch.Generator().manual_seed(0)
    n = max(steps * batch, MEASUREMENT.probe)
    x = torch.randint(0, 256, (n, 3, 32, 32), generator=gen, dtype=torch.uint8)
    y = torch.randint(0, 10, (n,), generator=gen)
    images = Images(x.to(device), y.to(device))
    mean, std = channel_statistics(images.x)
    standardise = Standardise(mean, std)
    pipeline = transforms.Compose(
        [
            transforms.RandomCrop(32, padding=4),
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor(),
            transforms.Normalize(mean.tolist(), std.tolist()),
        ]
    )
    loader = DataLoader(
        Cifar(x.permute(0, 2, 3, 1).numpy(), y.numpy(), pipeline),
        batch_size=batch,
        shuffle=True,
        drop_last=True,
        num_workers=args.workers,
        persistent_workers=args.workers > 0,
        pin_memory=device.type == "cuda",
    )

    def settings(n: int) -> CnnRun:  # n steps, a record at the start and the end, as in a train_cnn job
        return CnnRun(
            iterations=n,
            batch=batch,
            lr=0.01,
            momentum=0.9,
            weight_decay=5e-4,
            log_every=n,
            checkpoint_every=n,
            augment=True,
            device=str(device),
            precision="auto",
            channels_last=True,
            compile=False,
        )

    precision = "bfloat16" if bf16 else "float32"
    rows = []
    for architecture in args.models:
        start = cnn.initial_state(
            architecture=architecture, norm="bn", scheme="pytorch", width=width, seed=RunSeed(0, 0)
        )

        def fresh(architecture: str = architecture, start: dict = start) -> torch.nn.Module:
            model = build_cnn(architecture, "bn", width)
            model.load_state_dict(start)
            return model.to(device)

        def trainer(n: int = steps, fresh=fresh) -> None:
            train_cnn(
                model=fresh(),
                train=images,
                probe=images.x[: MEASUREMENT.probe],
                standardise=standardise,
                seed=RunSeed(0, 0),
                run=settings(n),
                measurement=MEASUREMENT,
            )
            if device.type == "cuda":
                torch.cuda.synchronize()

        def loop(n: int = steps, fresh=fresh) -> None:
            model = fresh().train()
            optimiser = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
            for step, (xb, yb) in enumerate(loader):
                if step == n:
                    break
                xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
                loss = torch.nn.functional.cross_entropy(model(xb), yb)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
            if device.type == "cuda":
                torch.cuda.synchronize()

        trainer(1), loop(1)  # warm up (and start the loader's workers)
        times = {"trainer": [], "loop": []}
        for _ in range(args.repeats):
            for name, fn in (("trainer", trainer), ("loop", loop)):
                began = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - began)
        t_trainer, t_loop = statistics.median(times["trainer"]), statistics.median(times["loop"])
        flop = training_flop(build_cnn(architecture, "bn", width), batch) * steps
        rate_loop, rate_trainer = steps * batch / t_loop, steps * batch / t_trainer
        mfu_loop, mfu_trainer = flop / t_loop / peaks["float32"], flop / t_trainer / peaks[precision]
        what = f"{architecture} (width × {width:g}), batch {batch}, {steps} SGD steps, on {device}"
        print(f"{what}, median of {args.repeats}:")
        print(f"  DataLoader loop ({args.workers} workers, float32) {rate_loop:9.1f} images/s   MFU {mfu_loop:6.1%}")
        print(
            f"  this project's trainer ({precision:8})   {rate_trainer:9.1f} images/s   MFU {mfu_trainer:6.1%}   "
            f"{speed_comparison(t_loop, t_trainer)}"
        )
        rows.append(
            {
                "what": what,
                "DataLoader loop": f"{rate_loop:.1f} images/s (MFU {mfu_loop:.1%}, float32)",
                "trainer": f"{rate_trainer:.1f} images/s (MFU {mfu_trainer:.1%}, {precision})",
                "speed": speed_comparison(t_loop, t_trainer),
                "speedup": t_loop / t_trainer,
                "matmul peaks": f"float32 {peaks['float32'] / 1e9:.0f}, bf16 {peaks['bfloat16'] / 1e9:.0f} GFLOP/s",
            }
        )
    print(f"  matmul peaks measured here (GFLOP/s): {', '.join(f'{k} {v / 1e9:.1f}' for k, v in peaks.items())}")
    if output:
        description = (
            "The CNN trainer against a torchvision DataLoader loop (per-sample PIL transforms, "
            f"{args.workers} workers, float32) for the same network, weights, batch and steps, interleaved, medians of "
            f"{args.repeats}; model-FLOP utilisation against 2048×2048 matrix products measured in the same run, in "
            "the precision each side runs in."
        )
        save_benchmark(output, "python benchmarks/cnn.py", description, rows)


if __name__ == "__main__":
    main()
