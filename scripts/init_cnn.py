"""Initial weights of one CNN (architecture, width multiplier, normalisation, init scheme, seed)."""

import torch

from bnrank import workflow
from bnrank.nets import cnn

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    w, p = snakemake.wildcards, snakemake.params
    state = cnn.initial_state(w.architecture, w.cnn_norm, w.cnn_scheme, float(w.cnn_width), (p.base_seed, int(w.seed)))
    torch.save(state, snakemake.output[0])
