"""Depth packing: one stack of every depth of a training stage against one stack per depth.

    python benchmarks/packing.py [--experiment fig1] [--configfile presets/quick.yaml] [--output [PATH]]
    python benchmarks/packing.py --quick              # a smoke test of this script

``--output`` without a PATH writes results/bench/packing_<experiment>[_<preset>].json.

The models of one selection stage of the experiment (BN, its selection seeds × its
learning-rate grid at each of its depths; width, batch and input size from the paper
preset, config.yaml, or from the presets given with ``--configfile`` over it)
train on the same minibatches either packed — all depths in one stack, the ``train``
rule's job — or depth by depth, one stack per depth one after another (the jobs before
packing). For one SGD step of each it reports:

- the operator calls, counted at PyTorch's dispatcher (forward, backward and update): on
  a GPU each is a kernel launch, the cost that bounds a launch-bound trainer, and the
  number does not depend on the machine;
- the wall time per step on this machine (one thread, medians of interleaved repeats).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from bnrank.config import preset
from bnrank.nets import init, mlp
from bnrank.nets.train import SGD
from bnrank.runs import device_name, output_argument, output_path, save_benchmark, speed_comparison
from bnrank.settings import Settings
from bnrank.streams import RunSeed


class OperatorCount(TorchDispatchMode):
    """Counts the operator calls that reach a kernel (views and metadata included)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.calls += 1
        return func(*args, **(kwargs or {}))


def stepper(starts: list[dict], lrs: list[float], arch: init.Architecture, batch: int, device) -> Callable[[], None]:
    """One SGD step of ``starts`` (deepest first) in one stack, on fixed random minibatches."""
    params = mlp.stack(starts, device)
    sgd = SGD(params, torch.tensor(lrs, device=device))
    models = len(starts)
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(models, batch, arch.inputs, generator=gen).to(device)
    y = torch.randint(10, (models, batch), generator=gen).to(device)
    alive = torch.ones(models, dtype=torch.bool, device=device)
    return lambda: sgd.step(arch=arch, params=params, alive=alive, x=x, y=y)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiment", default="fig1")
    parser.add_argument("--configfile", nargs="*", default=[])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    output_argument(parser, "packing_{experiment}{preset}")
    args = parser.parse_args()
    args.preset = "".join("_" + Path(p).stem for p in args.configfile)  # in the record's name
    output = output_path(args)
    torch.set_num_threads(1)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    settings = Settings.from_config(preset(args.configfile))
    e = settings.experiments[args.experiment]
    dataset = settings.dataset_name(args.experiment)
    depths = sorted([1, 2, 4] if args.quick else e.depths, reverse=True)
    seeds = e.stage_seeds("selection")
    lrs = list(e.lrs["bn"]) * len(seeds)
    archs = {d: init.architecture(dataset, d, "bn", settings.network) for d in depths}
    starts = {
        d: [
            init.init_params(archs[d], "pytorch", RunSeed(settings.seed, s), dataset)
            for s in seeds
            for _ in e.lrs["bn"]
        ]
        for d in depths
    }
    batch = 8 if args.quick else e.batch
    packed = stepper([m for d in depths for m in starts[d]], lrs * len(depths), archs[depths[0]], batch, device)
    apart = [stepper(starts[d], lrs, archs[d], batch, device) for d in depths]
    ways = {"one stack per depth": lambda: [step() for step in apart], "all depths in one stack": packed}
    calls, times = {}, {name: [] for name in ways}
    for name, fn in ways.items():
        fn()  # warm up
        with OperatorCount() as count:
            fn()
        calls[name] = count.calls
    for _ in range(1 if args.quick else args.repeats):
        for name, fn in ways.items():
            start = time.perf_counter()
            fn()
            if device.type == "cuda":
                torch.cuda.synchronize()
            times[name].append(time.perf_counter() - start)
    apart_name, packed_name = ways
    seconds = {name: statistics.median(t) for name, t in times.items()}
    rows = [
        {
            "way": name,
            "models": len(lrs) * len(depths),
            "operator calls per step": calls[name],
            "seconds per step": f"{seconds[name]:.4f}",
            "against one stack per depth": "",
        }
        for name in ways
    ]
    rows[-1]["against one stack per depth"] = (
        f"{calls[apart_name] / calls[packed_name]:.1f}× fewer operator calls; "
        f"{speed_comparison(seconds[apart_name], seconds[packed_name])} on {device_name(device)}"
    )
    for row in rows:
        print(row)
    if output:
        preset_name = " over ".join([*args.configfile[::-1], "config.yaml"]) if args.configfile else "the paper preset"
        description = (
            f"One SGD step of {preset_name}'s {args.experiment} selection stage (BN, {len(seeds)} seeds × "
            f"{len(e.lrs['bn'])} rates at each of depths {depths}, width {settings.network.width}, batch {batch}): "
            "every depth in one stack, the train rule's job, against one stack per depth one after another. "
            "Operator calls are counted at PyTorch's dispatcher (a GPU launches a kernel for each); wall times are "
            f"medians of {args.repeats} interleaved repeats on {device_name(device)}."
        )
        command = f"python benchmarks/packing.py --experiment {args.experiment}"
        save_benchmark(
            output,
            " ".join([command, *(["--configfile", *args.configfile] if args.configfile else [])]),
            description,
            rows,
        )


if __name__ == "__main__":
    main()
