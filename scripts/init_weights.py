"""Initial weights of one (data set, depth, normalisation, init scheme, seed)."""

from bnrank import workflow
from bnrank.nets import init
from bnrank.settings import Network, build

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    w, p = snakemake.wildcards, snakemake.params
    network = build(Network, p.network)
    weights = init.initial_weights(w.dataset, int(w.depth), w.norm, w.scheme, (p.base_seed, int(w.seed)), network)
    init.save_params(snakemake.output[0], weights)
