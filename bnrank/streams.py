"""Every random stream of every job, from (base seed, run, purpose).

A run's seed is a ``RunSeed``: the config's ``seed`` and the run's index. A stream is
that seed and a purpose, a name from ``PURPOSES``; a stream drawn anew per epoch or per
iteration is a child of its purpose's stream, indexed by the epoch (``SeedSequence``'s
spawn key), so no epoch number can stand for another purpose. The purposes introduced
with named streams (``NAMED``) mix the name itself into the seed, as four 32-bit words of
its BLAKE2b digest. The streams that existed before keep the layout they had (``KEPT``),
so that the MLP and chain results of earlier releases are reproduced bit for bit; each
of those layouts is used by one purpose only. ``tests/test_streams.py`` enumerates every
stream of the paper preset and checks that they are pairwise distinct.

This is the only module that makes a ``SeedSequence`` or seeds a generator.
"""

from __future__ import annotations

import hashlib
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:  # torch is imported where a generator is made: the registry imports this module
    import torch

_WORD = 2**32


@dataclass(frozen=True, order=True)
class RunSeed:
    """The seed of one run: the config's ``seed`` (``base``) and the run's index."""

    base: int
    run: int

    def __post_init__(self) -> None:
        for name in ("base", "run"):
            value = getattr(self, name)
            if not 0 <= value < _WORD:
                raise ValueError(f"a seed's {name} must be an integer in [0, 2**32), got {value}")


Purpose = Literal[
    # MLPs (Figs 1, 4, 6, 11, 12)
    "mlp_init",  # initial weights; index: the model's key (data set, depth, norm, scheme)
    "mlp_epoch_order",  # a model's order of the training set; index: the epoch
    "pretraining_batches",  # Algorithm 1's minibatches; index: the depth
    # CNNs (Figs 5, 7, 10, 13)
    "cnn_init",  # initial weights
    "cnn_epoch_plan",  # an epoch's order, crops and flips; index: the epoch
    "random_images",  # Fig 10's uniform random images
    # chains (Figs 2, 3, 8, 9): one 64-bit key per run for the counter-based generator
    "depth_sweep_inputs",
    "depth_sweep_weights",
    "width_sweep_weights",  # index: the width
    "spectrum_signs",
    "spectrum_inputs",
    "spectrum_noise",
    "spectrum_weights",
    # Fig 15's networks (beyond the paper): named; index of (a)'s inputs and readouts: the batch size
    "gradients_inputs",
    "gradients_readout",
    "gradients_weights",
    "gradients_remedy_inputs",
    "gradients_remedy_readout",
    "gradients_remedy_weights",
    # Fig 14's chains (beyond the paper): named; index: the width
    "orthogonality_signs",
    "orthogonality_inputs",
    "orthogonality_noise",
    "orthogonality_weights",
    # Fig 16's chains (beyond the paper): as the chains', named
    "isometry_signs",
    "isometry_inputs",
    "isometry_noise",
    "isometry_weights",
]
PURPOSES: tuple[str, ...] = typing.get_args(Purpose)

# The layouts of the streams made before purposes had names, each (seed, index) → its
# SeedSequence; the numbers in them are part of the layout, not purposes of their own.
KEPT: dict[str, Callable[[RunSeed, tuple[int, ...]], np.random.SeedSequence]] = {
    "mlp_init": lambda s, i: np.random.SeedSequence([s.base, s.run], spawn_key=i),
    "mlp_epoch_order": lambda s, i: np.random.SeedSequence([s.base, s.run, *i]),
    "pretraining_batches": lambda s, i: np.random.SeedSequence([s.base, s.run, *i, 11]),
    "depth_sweep_inputs": lambda s, i: np.random.SeedSequence(s.base, spawn_key=(2, 0, s.run)),
    "depth_sweep_weights": lambda s, i: np.random.SeedSequence(s.base, spawn_key=(2, 1, s.run)),
    "width_sweep_weights": lambda s, i: np.random.SeedSequence(s.base, spawn_key=(3, *i, s.run)),
    "spectrum_signs": lambda s, i: np.random.SeedSequence(s.base, spawn_key=(4, 0, s.run)),
    "spectrum_inputs": lambda s, i: np.random.SeedSequence(s.base, spawn_key=(4, 1, s.run)),
    "spectrum_noise": lambda s, i: np.random.SeedSequence(s.base, spawn_key=(4, 2, s.run)),
    "spectrum_weights": lambda s, i: np.random.SeedSequence(s.base, spawn_key=(4, 3, s.run)),
}
NAMED = tuple(p for p in PURPOSES if p not in KEPT)  # every purpose since: the name in the seed
_PROBE = 7  # the probe's layout (base seed, 7): one probe per base seed, shared by every run


def _name_words(purpose: str) -> tuple[int, ...]:
    digest = hashlib.blake2b(purpose.encode(), digest_size=16).digest()
    return tuple(int.from_bytes(digest[k : k + 4], "little") for k in range(0, 16, 4))


def sequence(purpose: Purpose, seed: RunSeed, *index: int) -> np.random.SeedSequence:
    """The ``SeedSequence`` of stream ``purpose`` of run ``seed``; ``index`` picks a child
    (an epoch, a depth, a width) where the purpose has one per index."""
    if purpose in NAMED:
        return np.random.SeedSequence([seed.base, seed.run, *_name_words(purpose)], spawn_key=index)
    if purpose in KEPT:
        return KEPT[purpose](seed, index)
    raise ValueError(f"unknown random stream {purpose!r}; the streams are {', '.join(PURPOSES)}")


def numpy_generator(purpose: Purpose, seed: RunSeed, *index: int) -> np.random.Generator:
    """NumPy's default generator on one stream."""
    return np.random.default_rng(sequence(purpose, seed, *index))


def torch_seed(purpose: Purpose, seed: RunSeed, *index: int) -> int:
    """The integer a torch generator of this stream starts from: 64 bits of its state
    (32 for the streams kept from before, as they were drawn then)."""
    state = sequence(purpose, seed, *index)
    return int(state.generate_state(1, np.uint64 if purpose in NAMED else np.uint32)[0])


def torch_generator(purpose: Purpose, seed: RunSeed, *index: int) -> torch.Generator:
    """A CPU torch generator on one stream."""
    import torch

    return torch.Generator().manual_seed(torch_seed(purpose, seed, *index))


def chain_keys(purpose: Purpose, base: int, runs: int, *index: int) -> np.ndarray:
    """One 64-bit key per run for the chains' counter-based generator
    (``bnrank.chains.random.draw``); run r's key depends on (base, r, purpose, index) only."""
    return np.array(
        [sequence(purpose, RunSeed(base, r), *index).generate_state(1, np.uint64)[0] for r in range(runs)],
        dtype=np.uint64,
    )


def probe_generator(base: int) -> np.random.Generator:
    """The stream of the probe batch: one per base seed, the same for every run, model and
    epoch, so that every rank measurement of an experiment looks at the same samples."""
    return np.random.default_rng(np.random.SeedSequence([base, _PROBE]))


def stand_in_generator(seed: int) -> torch.Generator:
    """The stream of the synthetic CIFAR-10 stand-in: the generator started from the data
    set's own seed (``data.cifar10.stand_in.seed``), not a run's."""
    import torch

    return torch.Generator().manual_seed(seed)


def bootstrap_generator(seed: int = 0) -> np.random.Generator:
    """The stream of a plot's bootstrap intervals (drawing only: no result depends on it)."""
    return np.random.default_rng(np.random.SeedSequence(seed))
