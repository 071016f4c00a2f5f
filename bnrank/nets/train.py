"""Batched SGD: every model of one stack (``bnrank.nets.mlp``) in one step.

The data set stays on the device as uint8 and each model draws its own minibatches
(its seed's permutation of the training set, redrawn each epoch); one forward and one
backward pass per step serve all models, whatever their depths and learning rates. A
model whose loss becomes NaN/inf is marked diverged at that epoch and frozen while the
others go on. The state is checkpointed at the end of an epoch, at most every
``checkpoint_seconds``, and a run started again resumes from its last checkpoint: the
permutations depend only on (seed, epoch), so a resumed run ends exactly where an
uninterrupted one does.

A step has no host synchronisation and no Python between its kernels that depends on
data: the epoch's orders sit in one device buffer read at a device-side step counter,
and the loop state (alive mask, loss and accuracy sums) is updated in place. On a CUDA
device the step is therefore captured once as a CUDA graph and replayed (``cuda_graph``);
the CPU runs the same step uncaptured. Networks train in float32 with TF32 off: the
measured ``matrix_rank`` depends on the precision of the products.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from bnrank.nets.checkpoints import Checkpoint
from bnrank.nets.init import Architecture
from bnrank.nets.mlp import forward, rows, trainable
from bnrank.streams import RunSeed, torch_generator

CAPTURE_WARMUP = 3  # uncaptured steps before a capture (their effect is undone)


@dataclass(frozen=True)
class Split:
    """One split of a data set on the device: uint8 features and int64 labels."""

    x: Tensor
    y: Tensor

    def inputs(self, index: Tensor, scale: float) -> Tensor:
        return self.x[index].float() * scale


def permutations(seeds: Sequence[RunSeed], epoch: int, n: int, device) -> Tensor:
    """Per-model orders of the training set for one epoch, from (seed, epoch) only."""
    orders = [torch.randperm(n, generator=torch_generator("mlp_epoch_order", seed, epoch)) for seed in seeds]
    return torch.stack(orders).to(device)


def float32_products() -> None:
    """Products in full float32 on CUDA (TF32 off for matmuls and cuDNN), as on the CPU."""
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False


def evaluate(
    arch: Architecture,
    params: dict[str, Tensor],
    split: Split,
    scale: float,
    chunk: int = 2000,
    data_statistics: bool = False,
) -> tuple[Tensor, Tensor]:
    """Mean cross-entropy and accuracy of every model on a whole split.

    BN uses its running statistics, or with ``data_statistics`` those of each chunk of
    ``chunk`` samples of the split (at epoch 0 the running ones were never estimated).
    """
    models = params["W0"].shape[0]
    loss = torch.zeros(models, device=split.x.device)
    correct = torch.zeros(models, device=split.x.device)
    with torch.no_grad():
        for start in range(0, len(split.y), chunk):
            x = split.x[start : start + chunk].float() * scale
            y = split.y[start : start + chunk]
            logits, _ = forward(arch, params, x.expand(models, *x.shape), train=data_statistics)
            loss += torch.nn.functional.cross_entropy(
                logits.transpose(1, 2), y.expand(models, -1), reduction="none"
            ).sum(1)
            correct += (logits.argmax(-1) == y).sum(1)
    return loss / len(split.y), correct / len(split.y)


class SGD:
    """Plain SGD on every trainable parameter of a stack, as one multi-tensor update.

    Each parameter's step is ``grad · rate``, where ``rate`` holds −lr of the parameter's
    models (``mlp.rows``): on CUDA one rate per element, so that the update is PyTorch's
    fused multi-tensor kernel (which needs equal shapes); on the CPU one per model,
    broadcast, which reads a stream less.
    """

    def __init__(self, params: dict[str, Tensor], lrs: Tensor) -> None:
        self.names = trainable(params)
        self.rates = []
        held = rows(params)
        for k in self.names:
            rate = -lrs[held[k]].view(-1, *[1] * (params[k].dim() - 1))
            self.rates.append(rate.expand_as(params[k]).contiguous() if lrs.is_cuda else rate)
            params[k].requires_grad_(True)

    def step(
        self, *, arch: Architecture, params: dict[str, Tensor], alive: Tensor, x: Tensor, y: Tensor
    ) -> tuple[Tensor, Tensor]:
        """One SGD step of every model on its own minibatch x (M, B, in), labels y (M, B).

        Models that are not ``alive``, or whose loss is not finite in this step, take no
        step: their loss does not enter the gradient, so theirs is zero (or NaN, where
        they have diverged). Returns each model's loss and accuracy.
        """
        logits, _ = forward(arch, params, x, train=True, update_stats=True)
        losses = torch.nn.functional.cross_entropy(logits.transpose(1, 2), y, reduction="none").mean(1)
        update = alive & torch.isfinite(losses)
        weights = self.weights(params)
        grads = torch.autograd.grad(torch.where(update, losses, 0.0).sum(), weights)
        with torch.no_grad():
            torch._foreach_addcmul_(weights, list(grads), self.rates)
        return losses.detach(), (logits.argmax(-1) == y).float().mean(1)

    def weights(self, params: dict[str, Tensor]) -> list[Tensor]:
        """The parameters a step changes."""
        return [params[k] for k in self.names]

    def release(self, params: dict[str, Tensor]) -> None:
        """Parameters as plain tensors again (no gradients asked)."""
        for k in self.names:
            params[k].requires_grad_(False)


@dataclass(frozen=True)
class EpochLoop:
    """The state a training step reads and updates in place: the epoch's orders, the
    step counter, the alive mask, and the sums of each model's loss and accuracy."""

    order: Tensor
    counter: Tensor
    alive: Tensor
    loss_sum: Tensor
    correct: Tensor

    @classmethod
    def on(cls, models: int, samples: int, device) -> EpochLoop:
        zeros = torch.zeros(models, device=device)
        return cls(
            order=torch.zeros(models, samples, dtype=torch.long, device=device),
            counter=torch.zeros((), dtype=torch.long, device=device),
            alive=torch.ones(models, dtype=torch.bool, device=device),
            loss_sum=zeros,
            correct=zeros.clone(),
        )

    def begin(self, order: Tensor, alive: Tensor) -> None:
        """A new epoch: its orders and the models alive at its start; counter and sums zero."""
        self.order.copy_(order[:, : self.order.shape[1]])
        self.alive.copy_(alive)
        for t in (self.counter, self.loss_sum, self.correct):
            t.zero_()

    def tensors(self) -> list[Tensor]:
        return [self.order, self.counter, self.alive, self.loss_sum, self.correct]


def captured(step: Callable[[], None], state: Sequence[Tensor]) -> Callable[[], None]:
    """``step`` captured as one CUDA graph; returns its replay.

    The capture needs a few uncaptured warm-up steps (on a side stream); every tensor
    of ``state`` — all that a step changes — gets its value back after each, so the
    trained state, and a resumed run, are those of the steps that count.
    """
    saved = [t.detach().clone() for t in state]

    def restore() -> None:
        with torch.no_grad():
            for t, s in zip(state, saved, strict=True):
                t.copy_(s)

    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(CAPTURE_WARMUP):
            step()
            restore()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        step()
    restore()
    return graph.replay


def train_batched(
    *,
    arch: Architecture,
    params: dict[str, Tensor],
    lrs: Sequence[float],
    seeds: Sequence[RunSeed],
    train: Split,
    test: Split,
    epochs: int,
    batch: int,
    scale: float,
    checkpoint: Checkpoint | None = None,
    checkpoint_seconds: float = 0.0,
    on_epoch: Callable[[int, dict[str, Tensor]], list[dict]] | None = None,
    cuda_graph: bool = True,
) -> tuple[list[dict], list[dict], dict[str, Tensor]]:
    """SGD on every model of a stack at once, whose deepest model is ``arch``; model m
    has learning rate lrs[m] and data order seeds[m].

    Returns the per-epoch metrics rows (epoch 0 is the initialisation, evaluated with
    BN on the data's own statistics, since no running statistics exist yet), the rows
    ``on_epoch`` produced after each epoch (e.g. rank measurements), and the final
    parameters. ``checkpoint``, if given, is written after the first epoch that ends
    ``checkpoint_seconds`` or more after the last write (0: after every epoch), and
    resumed from when it belongs to this run. On CUDA the step is replayed as a CUDA
    graph unless ``cuda_graph`` is false.
    """
    device = train.x.device
    if device.type == "cuda":
        float32_products()
    models = len(lrs)
    sgd = SGD(params, torch.tensor(lrs, dtype=torch.float32, device=device))
    steps = len(train.y) // batch
    state = {"epoch": 0, "metrics": [], "extra": [], "diverged": [None] * models}
    if checkpoint is not None and (saved := checkpoint.load()) is not None:
        state = saved["state"]
        print(f"resumed from {checkpoint.path} at epoch {state['epoch']}", flush=True)
        with torch.no_grad():
            for k, v in saved["params"].items():
                params[k].copy_(v)

    def record(epoch: int, train_loss: Tensor | None, train_acc: Tensor | None) -> None:
        test_loss, test_acc = evaluate(arch=arch, params=params, split=test, scale=scale, data_statistics=epoch == 0)
        nan = torch.full_like(test_loss, float("nan"))
        values = torch.stack([nan if train_loss is None else train_loss, nan if train_acc is None else train_acc])
        values = torch.cat([values, torch.stack([test_loss, test_acc])]).cpu().tolist()  # one transfer
        for m in range(models):
            dead = state["diverged"][m] is not None
            state["metrics"].append(
                {
                    "model": m,
                    "seed": seeds[m].run,
                    "lr": lrs[m],
                    "epoch": epoch,
                    **{
                        name: float("nan") if dead else values[i][m]
                        for i, name in enumerate(("train_loss", "train_acc", "test_loss", "test_acc"))
                    },
                    "diverged_epoch": state["diverged"][m],
                }
            )
        if on_epoch is not None:
            state["extra"] += on_epoch(epoch, params)

    if state["epoch"] == 0 and not state["metrics"]:
        record(0, None, None)
    loop = EpochLoop.on(models, steps * batch, device)
    offsets = torch.arange(batch, device=device)

    def step() -> None:
        index = loop.order.index_select(1, loop.counter * batch + offsets)
        losses, hits = sgd.step(
            arch=arch, params=params, alive=loop.alive, x=train.inputs(index, scale), y=train.y[index]
        )
        with torch.no_grad():
            loop.alive.logical_and_(torch.isfinite(losses))
            loop.loss_sum.add_(torch.where(loop.alive, losses, 0.0))
            loop.correct.add_(hits)
            loop.counter.add_(1)

    run = None
    last_write = time.monotonic()
    for epoch in range(state["epoch"] + 1, epochs + 1):
        alive = torch.tensor([d is None for d in state["diverged"]], device=device)
        loop.begin(permutations(seeds, epoch, len(train.y), device), alive)
        if run is None:  # captured once the buffers hold a real epoch
            bn_stats = [v for k, v in params.items() if k.startswith(("bn_mean", "bn_var"))]
            use_graph = cuda_graph and device.type == "cuda"
            run = captured(step, [*sgd.weights(params), *bn_stats, *loop.tensors()]) if use_graph else step
        for _ in range(steps):
            run()
        for m in torch.nonzero(alive & ~loop.alive).flatten().tolist():
            state["diverged"][m] = epoch
        with torch.no_grad():
            record(epoch, loop.loss_sum / steps, loop.correct / steps)
        state["epoch"] = epoch
        if checkpoint is not None and time.monotonic() - last_write >= checkpoint_seconds:
            checkpoint.save(state=state, params={k: v.detach() for k, v in params.items()})
            last_write = time.monotonic()
    sgd.release(params)
    return state["metrics"], state["extra"], params
