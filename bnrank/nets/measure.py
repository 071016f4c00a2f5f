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

from bnrank.nets.init import Architecture
from bnrank.nets.mlp import ACTIVATIONS, forward, inverse_rank_bound
from bnrank.rank import rank_notions
from bnrank.settings import Measurement

MEASURE_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def layer_ranks(
    arch: Architecture,
    params: dict[str, Tensor],
    probe: Tensor,
    measurement: Measurement,
    layers: Sequence[int] | None = None,
) -> list[dict]:
    """Rank notions of hidden layers (1-based; default ``measurement.layers``: the last or
    all) of every model on ``probe`` (P, in), in ``measurement.dtype``, and r(H) of each
    layer's pre-activation (``lower_bound_pre``)."""
    dtype, notions = measurement.dtype, measurement.rank_notions
    dt = MEASURE_DTYPES[dtype]
    cast = {k: v.detach().to(dt) for k, v in params.items()}
    models = next(iter(cast.values())).shape[0]
    with torch.no_grad():
        _, pre = forward(arch, cast, probe.to(dt).expand(models, *probe.shape), train=True, pre_activation=True)
    act = ACTIVATIONS[arch.activation]
    rows = []
    if layers is None:
        layers = [arch.depth] if measurement.layers == "last" else range(1, arch.depth + 1)
    for layer in layers:
        H = act(pre[layer - 1]).transpose(1, 2).cpu().numpy()  # the layer's output, (models, width, probe)
        values = rank_notions(H, notions.taus, notions.eig_threshold)
        values["lower_bound_pre"] = 1 / inverse_rank_bound(pre[layer - 1]).cpu().numpy()
        for m in range(models):
            rows.append({"model": m, "layer": layer, "dtype": dtype, **{k: v[m].item() for k, v in values.items()}})
    return rows
