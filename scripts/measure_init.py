"""Rank notions of every hidden layer at initialisation, over a grid of depths and seeds."""

from bnrank import workflow
from bnrank.nets import experiments
from bnrank.settings import Measurement, Network, build

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    workflow.use_threads(snakemake.threads)
    p = snakemake.params
    table = experiments.initial_ranks(
        snakemake.wildcards.variant,
        snakemake.input.data,
        dict(zip(p.grid, snakemake.input.weights, strict=True)),
        p.dataset,
        p.norm,
        build(Network, p.network),
        p.train_samples,
        p.input_scale,
        build(Measurement, p.measurement),
        p.base_seed,
    )
    table.to_csv(snakemake.output[0], index=False)
