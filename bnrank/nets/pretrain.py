"""Rank pretraining (the paper's Algorithm 1, App. G).

Layer by layer, a few gradient steps that increase the Lemma-1 lower bound
r(H_ℓ) = tr(M)²/‖M‖²_F of the hidden representation H_ℓ over minibatches, i.e. that
decrease 1/r(H_ℓ), with respect to the weights and biases of layers 1..ℓ. The layers,
the iterations per layer, the steps per minibatch and the step size come from the
config: Fig 6 pretrains every 4th layer for 25 or 75 iterations (the public code),
Fig 4's public code took 1,000 minibatches × 40 steps on the last layer only, on
‖M‖_F/tr(M) = r(H)^(-1/2) (``objective: frobenius_over_trace``).
"""

from __future__ import annotations

import torch
from torch import Tensor

from bnrank.nets.init import Architecture
from bnrank.nets.mlp import forward, inverse_rank_bound
from bnrank.nets.train import Split
from bnrank.settings import Pretraining


def schedule(depth: int, every: int, last: bool) -> list[int]:
    """Hidden layers (1-based) to pretrain: every ``every``-th (none if 0), plus the last if asked."""
    layers = list(range(every, depth + 1, every)) if every else []
    if last and depth not in layers:
        layers.append(depth)
    return layers


OBJECTIVES = {"inverse_r": lambda inverse: inverse, "frobenius_over_trace": torch.sqrt}


def pretrain_rank(
    arch: Architecture,
    params: dict[str, Tensor],
    data: Split,
    pretraining: Pretraining,
    scale: float,
    generator: torch.Generator,
) -> list[dict]:
    """Algorithm 1 on every model of ``params`` (each its own minibatches), in place.

    Pretrains the layers of ``schedule`` for ``pretraining.iterations`` minibatches of
    ``pretraining.batch`` samples each, ``steps_per_batch`` steps of size ``lr`` per
    minibatch, on representations before the activation if ``pre_activation``; the loss
    is 1/r(H_ℓ) or, for ``objective: frobenius_over_trace``, its square root.
    Returns one row per (model, layer) with r(H_ℓ) on the first and last minibatch.
    """
    p = pretraining
    models = next(iter(params.values())).shape[0]
    log = []
    for layer in schedule(arch.depth, p.every, p.last):
        names = [f"{p}{l}" for l in range(layer) for p in ("W", "b")]
        for k in names:
            params[k].requires_grad_(True)
        before = None
        for _ in range(p.iterations):
            index = torch.randint(len(data.y), (models, p.batch), generator=generator).to(data.x.device)
            x = data.inputs(index, scale)
            for _ in range(p.steps_per_batch):
                _, hidden = forward(arch, params, x, train=True, upto=layer, pre_activation=p.pre_activation)
                inverse = inverse_rank_bound(hidden[-1])
                before = inverse.detach() if before is None else before
                loss = OBJECTIVES[p.objective](inverse).sum()
                grads = torch.autograd.grad(loss, [params[k] for k in names])
                with torch.no_grad():
                    for k, g in zip(names, grads, strict=True):
                        params[k].sub_(p.lr * g)
        with torch.no_grad():
            _, hidden = forward(arch, params, x, train=True, upto=layer, pre_activation=p.pre_activation)
            after = inverse_rank_bound(hidden[-1])
        for k in names:
            params[k].requires_grad_(False)
        log += [
            {"model": m, "layer": layer, "r_before": 1 / before[m].item(), "r_after": 1 / after[m].item()}
            for m in range(models)
        ]
    return log
