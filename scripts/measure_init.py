"""Rank notions of every hidden layer at initialisation, over a grid of depths and seeds."""

from bnrank import experiments, workflow

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    workflow.use_threads(snakemake.threads)
    p = snakemake.params
    weights = dict(zip(p.grid, snakemake.input.weights))
    table = experiments.initial_ranks(snakemake.wildcards.variant, snakemake.input.data, weights, **p.settings)
    table.to_csv(snakemake.output[0], index=False)
