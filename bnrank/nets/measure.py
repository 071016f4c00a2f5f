"""Rank measurements of trained or initial networks on a fixed probe batch.

The probe is a fixed set of training samples; each hidden layer's representation of
it (width × probe, BN with the probe's own statistics, as in a training step) gets
every rank notion of ``bnrank.rank``. Networks run in float32, so by default they are
measured in float32 too, with float32's tolerance — the float32 measurement shows the
paper's collapse of a deep vanilla net to rank one, a float64 one does not (see
docs/figures.md, "Rank notions") — and the table records the dtype;
``measurement.dtype: float64`` recomputes the activations and measures them in float64.
Every table reads the last hidden layer only, so only it is measured unless
``measurement.layers: all``. Beside the notions of the layer's output, ``lower_bound_pre`` is r(H) of its
pre-activation (after BN, before the ReLU): the representation Algorithm 1 maximises.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from bnrank.activations import ACTIVATIONS
from bnrank.nets.init import Architecture
from bnrank.nets.mlp import HEAD, depths, forward, inverse_rank_bound, rows
from bnrank.rank import rank_notions
from bnrank.settings import Measurement

MEASURE_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def _blocks(
    params: dict[str, Tensor], hidden: Sequence[Tensor], layers: str | Sequence[int]
) -> list[tuple[int, slice]]:
    """(layer, models) pairs to measure: with ``layers`` ``last``, each depth's models at
    their last hidden layer; ``all``, or a list of layers, every model that has them."""
    if layers == "last":
        held = rows(params)
        return [(d, held[f"{HEAD}W{d}"]) for d in sorted(set(depths(params)), reverse=True)]
    chosen = range(1, len(hidden) + 1) if layers == "all" else layers
    return [(layer, slice(0, len(hidden[layer - 1]))) for layer in chosen]


def layer_ranks(
    arch: Architecture,
    params: dict[str, Tensor],
    probe: Tensor,
    measurement: Measurement,
    layers: Sequence[int] | None = None,
) -> list[dict]:
    """Rank notions of hidden layers (1-based; default ``measurement.layers``: each model's
    last, or all) of every model of a stack whose deepest model is ``arch``, on ``probe``
    (P, in), in ``measurement.dtype``, and r(H) of each layer's pre-activation
    (``lower_bound_pre``). All of them in one batched call, on the stack's device, and
    one transfer to the host."""
    dtype, notions = measurement.dtype, measurement.rank_notions
    dt = MEASURE_DTYPES[dtype]
    cast = {k: v.detach().to(dt) for k, v in params.items()}
    models = cast["W0"].shape[0]
    with torch.no_grad():
        _, pre = forward(
            arch, cast, probe.to(dt).expand(models, *probe.shape), train=True, upto=arch.depth, pre_activation=True
        )
        blocks = _blocks(cast, pre, measurement.layers if layers is None else layers)
        z = torch.cat([pre[layer - 1][members] for layer, members in blocks])  # (rows, probe, width)
        values = rank_notions(ACTIVATIONS[arch.activation](z).transpose(1, 2), notions.taus, notions.eig_threshold)
        values["lower_bound_pre"] = 1 / inverse_rank_bound(z)
        table = torch.stack([v.double() for v in values.values()]).cpu().tolist()
    kinds = [float if v.is_floating_point() else int for v in values.values()]  # counts stay integers
    measured = [(layer, m) for layer, members in blocks for m in range(models)[members]]
    return [
        {"model": m, "layer": layer, "dtype": dtype, **{k: kinds[i](table[i][r]) for i, k in enumerate(values)}}
        for r, (layer, m) in enumerate(measured)
    ]
