"""Directional gradient vanishing (Prop. 19, Fig 10): how aligned the per-sample gradients
of the final layer are.

For the final linear layer, the gradient of sample i's loss with respect to neuron k's
weights is e_ik · h_i (e_ik the derivative of the loss by logit k, h_i the last hidden
representation), so |cos(∇_k ℓ_i, ∇_k ℓ_j)| = |cos(h_i, h_j)| for every neuron k with
e_ik, e_jk ≠ 0. Fig 10 plots the mean of this over the pairs i ≠ j of a batch, which is
computed here from the representations alone.

A sample whose representation is all zero (dead ReLUs can make it so) has a zero
gradient, which has no direction: its pairs are left out of the mean, and
``gradient_alignment`` reports how many samples that excluded.
"""

from __future__ import annotations

import torch
from torch import Tensor


def gradient_alignment(hidden: Tensor) -> tuple[Tensor, Tensor]:
    """Mean |cos(h_i, h_j)| over pairs i ≠ j of samples with a non-zero representation,
    for hidden (..., B, features); and the number of all-zero samples left out.

    NaN when fewer than two samples have a direction."""
    norms = hidden.norm(dim=-1)
    alive = norms > 0
    unit = hidden / norms.clamp_min(torch.finfo(hidden.dtype).tiny)[..., None]
    cos = (unit @ unit.transpose(-1, -2)).abs()
    pairs = alive[..., :, None] & alive[..., None, :]
    pairs = pairs & ~torch.eye(hidden.shape[-2], dtype=torch.bool, device=hidden.device)
    count = pairs.sum((-2, -1))
    mean = torch.where(pairs, cos, 0.0).sum((-2, -1)) / count.clamp_min(1)
    return torch.where(count > 0, mean, torch.nan), (~alive).sum(-1)
