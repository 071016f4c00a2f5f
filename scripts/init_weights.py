"""Initial weights of one (data set, depth, normalisation, init scheme, seed)."""

from bnrank import init, workflow

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    w, p = snakemake.wildcards, snakemake.params
    weights = init.initial_weights(
        w.dataset, int(w.depth), w.norm, w.scheme, (p.base_seed, int(w.seed)), **p.arch
    )
    init.save_params(snakemake.output[0], weights)
