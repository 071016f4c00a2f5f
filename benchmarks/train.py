"""Speed of the batched trainer against training the same models one after another.

    python benchmarks/train.py [--output [PATH]]   # 15 BN MLPs, depth 32, 40 steps
    python benchmarks/train.py --quick              # a smoke test of this script

``--output`` without a PATH writes results/bench/train.json (as ``make bench`` does).

Both sides train the same 5 seeds × 3 learning rates on the same minibatches of
Fashion-MNIST-shaped data for the same number of SGD steps: the batched trainer
(``bnrank.nets.train.SGD``, all models in one step) against a loop over ordinary
PyTorch modules (Linear, BatchNorm1d, ReLU; torch.optim.SGD), one model at a time.
It prints how the batched trainer compares ("2.1× faster", or "1.4× slower":
``bnrank.runs.speed_comparison``; the JSON row also holds ``speedup``, the loop's time over
the batched trainer's, above 1 when it is faster) and the model-FLOP utilisation (6 FLOP
per weight per sample) of both against the float32 matrix-multiply peak measured in the
same run.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from bnrank.nets import init, mlp
from bnrank.nets.train import SGD
from bnrank.runs import matmul_peak, output_argument, output_path, save_benchmark, speed_comparison
from bnrank.streams import RunSeed


def module(arch: init.Architecture, params: dict[str, torch.Tensor], m: int) -> torch.nn.Sequential:
    """Model m of a stack as ordinary PyTorch modules."""
    layers = []
    for l, (fan_out, fan_in) in enumerate(arch.linear_shapes()):
        linear = torch.nn.Linear(fan_in, fan_out)
        prefix = mlp.HEAD if l == arch.depth else ""
        linear.weight.data.copy_(params[f"{prefix}W{l}"][m])
        linear.bias.data.copy_(params[f"{prefix}b{l}"][m])
        layers.append(linear)
        if l < arch.depth:
            layers += [torch.nn.BatchNorm1d(fan_out), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    output_argument(parser, "train")
    args = parser.parse_args()
    output = output_path(args)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    depth, steps, seeds = (4, 5, 2) if args.quick else (32, args.steps, 5)
    lrs = [0.1, 0.01, 0.001]
    arch = init.Architecture(inputs=784, width=128, depth=depth, norm="bn")
    starts = [init.init_params(arch, "pytorch", RunSeed(0, s), "fashion_mnist") for s in range(seeds) for _ in lrs]
    models = len(starts)
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(steps, models, 128, 784, generator=gen).to(device)
    y = torch.randint(10, (steps, models, 128), generator=gen).to(device)
    lr = torch.tensor(lrs * seeds, device=device)

    def batched() -> None:
        params = mlp.stack(starts, device)
        sgd = SGD(params, lr)
        alive = torch.ones(models, dtype=torch.bool, device=device)
        for t in range(steps):
            sgd.step(arch=arch, params=params, alive=alive, x=x[t], y=y[t])
        if device.type == "cuda":
            torch.cuda.synchronize()

    def one_by_one() -> None:
        stacked = mlp.stack(starts)
        for m in range(models):
            net = module(arch, stacked, m).to(device).train()
            opt = torch.optim.SGD(net.parameters(), lr=float(lr[m]))
            for t in range(steps):
                opt.zero_grad()
                torch.nn.functional.cross_entropy(net(x[t, m]), y[t, m]).backward()
                opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize()

    batched(), one_by_one()  # warm up
    times = {"batched": [], "loop": []}
    for _ in range(args.repeats):
        for name, fn in (("batched", batched), ("loop", one_by_one)):
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    t_batched, t_loop = statistics.median(times["batched"]), statistics.median(times["loop"])
    weights = sum(i * o for o, i in arch.linear_shapes())
    flop = 6 * weights * 128 * models * steps
    peak = matmul_peak(device)
    print(
        f"{models} BN MLPs (depth {depth}, width 128, batch 128), {steps} SGD steps each, on {device}, "
        f"median of {args.repeats}:"
    )
    print(f"  loop over PyTorch modules   {t_loop:7.2f} s   MFU {flop / t_loop / peak:6.1%}")
    print(
        f"  batched trainer             {t_batched:7.2f} s   MFU {flop / t_batched / peak:6.1%}"
        f"   {speed_comparison(t_loop, t_batched)}"
    )
    print(f"  float32 matmul peak         {peak / 1e9:7.1f} GFLOP/s (2048×2048 product, measured here)")
    if output:
        what = f"{models} BN MLPs (depth {depth}, width 128, batch 128), {steps} SGD steps each, on {device}"
        rows = [
            {
                "what": what,
                "loop over PyTorch modules": f"{t_loop:.2f} s (MFU {flop / t_loop / peak:.1%})",
                "batched trainer": f"{t_batched:.2f} s (MFU {flop / t_batched / peak:.1%})",
                "speed": speed_comparison(t_loop, t_batched),
                "speedup": t_loop / t_batched,
                "float32 matmul peak": f"{peak / 1e9:.1f} GFLOP/s",
            }
        ]
        description = (
            "The batched trainer against the same models as ordinary PyTorch modules trained one after another, "
            f"side by side, medians of {args.repeats} interleaved repeats; model-FLOP utilisation (6 FLOP per weight "
            "and sample) against a 2048×2048 float32 product measured in the same run."
        )
        save_benchmark(output, "python benchmarks/train.py", description, rows)


if __name__ == "__main__":
    main()
