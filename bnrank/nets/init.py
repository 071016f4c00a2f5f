"""Initial weights of the MLPs (docs/figures.md, "The networks"), one file per model.

An MLP of depth L has L hidden layers — Linear(inputs→width), then L−1
Linear(width→width), each followed by BN (if any) and the activation — and an output
Linear(width→classes). Schemes, applied to every Linear layer (fan_in = its inputs):

- ``pytorch``: PyTorch's default, weights and biases U[−a, a] with a = 1/√fan_in;
- ``asymmetric``: U[0, 2a], the same variance a²/3 with mean a (the paper's Sec. 4);
- ``xavier_normal``: weights N(0, 2/(fan_in + fan_out)), biases PyTorch's default
  (the public code of Fig 4 re-initialised only the weights).

BN layers start at scale 1 and shift 0 (α = 1, β = 0, Eq. 2) with running mean 0 and
variance 1. Draws come from the run's ``mlp_init`` stream (``bnrank.streams``), indexed
by (data set, depth, normalisation, scheme): same key, same weights.
"""

from __future__ import annotations

import math
import typing
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bnrank.settings import InitScheme, Network, Norm
from bnrank.streams import RunSeed, numpy_generator

SCHEMES = typing.get_args(InitScheme)
INPUTS = {"fashion_mnist": 784, "cifar10": 3072}  # features of each data set


@dataclass(frozen=True)
class Architecture:
    """A fully connected network: ``depth`` hidden layers of ``width`` features."""

    inputs: int
    width: int
    depth: int
    classes: int = 10
    norm: Norm = "none"
    activation: str = "relu"
    bn_affine: bool = True

    def __post_init__(self) -> None:
        if self.depth < 1:
            raise ValueError(f"depth must be at least 1, got {self.depth}")
        if self.norm not in typing.get_args(Norm):
            raise ValueError(f"norm must be one of {typing.get_args(Norm)}, got {self.norm!r}")

    def linear_shapes(self) -> list[tuple[int, int]]:
        """(out, in) of every Linear layer, hidden layers first, the output layer last."""
        return (
            [(self.width, self.inputs)] + [(self.width, self.width)] * (self.depth - 1) + [(self.classes, self.width)]
        )


def architecture(dataset: str, depth: int, norm: Norm, network: Network) -> Architecture:
    """The MLP of docs/figures.md for a data set (``cifar10_synthetic`` and ``cifar10_auto``,
    which holds CIFAR-10 or the stand-in, have CIFAR's shape)."""
    inputs = INPUTS[dataset.removesuffix("_synthetic").removesuffix("_auto")]
    return Architecture(
        inputs=inputs,
        width=network.width,
        depth=depth,
        norm=norm,
        activation=network.activation,
        bn_affine=network.bn_affine,
    )


def initial_weights(
    *, dataset: str, depth: int, norm: Norm, scheme: InitScheme, seed: RunSeed, network: Network
) -> dict[str, np.ndarray]:
    """Initial weights of one (data set, depth, normalisation, init scheme, seed)."""
    return init_params(architecture(dataset, depth, norm, network), scheme, seed, dataset)


def _stable_key(*parts: object) -> int:
    return zlib.crc32("/".join(map(str, parts)).encode())


def init_params(arch: Architecture, scheme: str, seed: RunSeed, dataset: str) -> dict[str, np.ndarray]:
    """Parameters and BN buffers of one model, float32, named ``W{l}``, ``b{l}``, ``bn_*{l}``."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown init scheme {scheme!r}; allowed: {', '.join(SCHEMES)}")
    rng = numpy_generator("mlp_init", seed, _stable_key(dataset, arch.depth, arch.norm, scheme))
    params = {}
    for l, (fan_out, fan_in) in enumerate(arch.linear_shapes()):
        a = 1 / math.sqrt(fan_in)
        if scheme == "pytorch":
            w, b = rng.uniform(-a, a, (fan_out, fan_in)), rng.uniform(-a, a, fan_out)
        elif scheme == "asymmetric":
            w, b = rng.uniform(0, 2 * a, (fan_out, fan_in)), rng.uniform(0, 2 * a, fan_out)
        else:
            w = rng.normal(0, math.sqrt(2 / (fan_in + fan_out)), (fan_out, fan_in))
            b = rng.uniform(-a, a, fan_out)
        params[f"W{l}"], params[f"b{l}"] = w.astype(np.float32), b.astype(np.float32)
    if arch.norm == "bn":
        for l in range(arch.depth):
            params[f"bn_mean{l}"] = np.zeros(arch.width, np.float32)
            params[f"bn_var{l}"] = np.ones(arch.width, np.float32)
            if arch.bn_affine:
                params[f"bn_scale{l}"] = np.ones(arch.width, np.float32)
                params[f"bn_shift{l}"] = np.zeros(arch.width, np.float32)
    return params


def save_params(path: str | Path, params: dict[str, np.ndarray]) -> None:
    np.savez(path, **params)


def load_params(path: str | Path) -> dict[str, np.ndarray]:
    with np.load(path) as f:
        return {k: f[k] for k in f.files}
