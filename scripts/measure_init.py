"""Rank notions of every hidden layer at initialisation, over a grid of depths and seeds."""

from bnrank import workflow
from bnrank.nets import experiments
from bnrank.settings import Measurement, Network, build

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    workflow.use_threads(snakemake.threads)
    p = snakemake.params
    table = experiments.initial_ranks(
        variant=snakemake.wildcards.variant,
        dataset_path=snakemake.input.data,
        weights=dict(zip(p.grid, snakemake.input.weights, strict=True)),
        dataset=p.dataset,
        norm=p.norm,
        network=build(Network, p.network),
        train_samples=p.train_samples,
        input_scale=p.input_scale,
        measurement=build(Measurement, p.measurement),
        base_seed=p.base_seed,
    )
    table.to_csv(snakemake.output[0], index=False)
