"""Batched SGD: every (seed, learning rate) model of one architecture in one step.

The data set stays on the device as uint8 and each model draws its own minibatches
(its seed's permutation of the training set, redrawn each epoch); one forward and one
backward pass per step serve all models. A model whose loss becomes NaN/inf is marked
diverged at that epoch and frozen while the others go on. The state is checkpointed
at the end of an epoch, at most every ``checkpoint_seconds``, and a run started again
resumes from its last checkpoint: the permutations depend only on (seed, epoch), so a
resumed run ends exactly where an uninterrupted one does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from bnrank.nets.checkpoints import Checkpoint
from bnrank.nets.init import Architecture
from bnrank.nets.mlp import forward, trainable
from bnrank.streams import RunSeed, torch_generator


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
    models = next(iter(params.values())).shape[0]
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


def sgd_step(
    *,
    arch: Architecture,
    params: dict[str, Tensor],
    names: Sequence[str],
    lr: Tensor,
    alive: Tensor,
    x: Tensor,
    y: Tensor,
) -> tuple[Tensor, Tensor]:
    """One SGD step of every model on its own minibatch x (M, B, in), labels y (M, B).

    Models that are not ``alive``, or whose loss is not finite in this step, take no
    step (their parameters may turn NaN: they have diverged). Returns each model's loss
    and accuracy.
    """
    logits, _ = forward(arch, params, x, train=True, update_stats=True)
    losses = torch.nn.functional.cross_entropy(logits.transpose(1, 2), y, reduction="none").mean(1)
    update = alive & torch.isfinite(losses)
    grads = torch.autograd.grad(torch.where(update, losses, 0.0).sum(), [params[k] for k in names])
    step = torch.where(update, -lr, 0.0)
    with torch.no_grad():
        for k, g in zip(names, grads, strict=True):
            params[k].addcmul_(g, step.view((len(lr),) + (1,) * (g.dim() - 1)))
    return losses.detach(), (logits.argmax(-1) == y).float().mean(1)


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
) -> tuple[list[dict], list[dict], dict[str, Tensor]]:
    """SGD on every model at once; model m has learning rate lrs[m] and data order seeds[m].

    Returns the per-epoch metrics rows (epoch 0 is the initialisation, evaluated with
    BN on the data's own statistics, since no running statistics exist yet), the rows
    ``on_epoch`` produced after each epoch (e.g. rank measurements), and the final
    parameters. ``checkpoint``, if given, is written after the first epoch that ends
    ``checkpoint_seconds`` or more after the last write (0: after every epoch), and
    resumed from when it belongs to this run.
    """
    device = train.x.device
    models = len(lrs)
    lr = torch.tensor(lrs, dtype=torch.float32, device=device)
    names = trainable(arch, params)
    for k in names:
        params[k].requires_grad_(True)
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
        for m in range(models):
            dead = state["diverged"][m] is not None
            state["metrics"].append(
                {
                    "model": m,
                    "seed": seeds[m].run,
                    "lr": lrs[m],
                    "epoch": epoch,
                    "train_loss": float("nan") if train_loss is None or dead else train_loss[m].item(),
                    "train_acc": float("nan") if train_acc is None or dead else train_acc[m].item(),
                    "test_loss": float("nan") if dead else test_loss[m].item(),
                    "test_acc": float("nan") if dead else test_acc[m].item(),
                    "diverged_epoch": state["diverged"][m],
                }
            )
        if on_epoch is not None:
            state["extra"] += on_epoch(epoch, params)

    if state["epoch"] == 0 and not state["metrics"]:
        record(0, None, None)
    last_write = time.monotonic()
    for epoch in range(state["epoch"] + 1, epochs + 1):
        alive = torch.tensor([d is None for d in state["diverged"]], device=device)
        order = permutations(seeds, epoch, len(train.y), device)
        loss_sum = torch.zeros(models, device=device)
        correct = torch.zeros(models, device=device)
        alive_before = alive.clone()
        for step in range(steps):  # no host-device synchronisation inside the epoch
            index = order[:, step * batch : (step + 1) * batch]
            losses, hits = sgd_step(
                arch=arch,
                params=params,
                names=names,
                lr=lr,
                alive=alive,
                x=train.inputs(index, scale),
                y=train.y[index],
            )
            alive = alive & torch.isfinite(losses)
            loss_sum += torch.where(alive, losses, 0.0)
            correct += hits
        for m in torch.nonzero(alive_before & ~alive).flatten().tolist():
            state["diverged"][m] = epoch
        with torch.no_grad():
            record(epoch, loss_sum / steps, correct / steps)
        state["epoch"] = epoch
        if checkpoint is not None and time.monotonic() - last_write >= checkpoint_seconds:
            checkpoint.save(state=state, params={k: v.detach() for k, v in params.items()})
            last_write = time.monotonic()
    for k in names:
        params[k].requires_grad_(False)
    return state["metrics"], state["extra"], params
