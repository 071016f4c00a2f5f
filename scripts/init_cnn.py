"""Initial weights of one CNN (architecture, width multiplier, normalisation, init scheme, seed)."""

import torch

from bnrank import workflow
from bnrank.nets import cnn
from bnrank.streams import RunSeed

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    w, p = snakemake.wildcards, snakemake.params
    state = cnn.initial_state(
        architecture=w.architecture,
        norm=w.cnn_norm,
        scheme=w.cnn_scheme,
        width=float(w.cnn_width),
        seed=RunSeed(p.base_seed, int(w.seed)),
    )
    torch.save(state, snakemake.output[0])
