"""Initial weights of one (data set, depth, normalisation, init scheme, seed)."""

from bnrank import workflow
from bnrank.nets import init
from bnrank.settings import Network, build
from bnrank.streams import RunSeed

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    w, p = snakemake.wildcards, snakemake.params
    network = build(Network, p.network)
    weights = init.initial_weights(
        dataset=w.dataset,
        depth=int(w.depth),
        norm=w.norm,
        scheme=w.scheme,
        seed=RunSeed(p.base_seed, int(w.seed)),
        network=network,
    )
    init.save_params(snakemake.output[0], weights)
