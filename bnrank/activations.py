"""The activations σ, one torch function each: the one list every network and chain
draws from (``Activation`` in bnrank.settings names them; the chains' fused kernel has
its own compiled copy of each, ``bnrank.chains.chain``).

Adding an activation is one entry here, its name in ``Activation`` and the config
schema's ``activation`` enum; the Hermite quantities of ``bnrank.chains.hermite`` then
follow by numerical integration.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "linear": lambda x: x,
    "relu": torch.relu,
    "tanh": torch.tanh,
    "gelu": torch.nn.functional.gelu,  # x Φ(x), the exact form
    "sin": torch.sin,
}
