"""Fig 2 simulation: rank notions of BN and vanilla chains over depth."""

from bnrank import simulate, workflow

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    workflow.use_threads(snakemake.threads)
    p = snakemake.params
    table = simulate.depth_ranks(**p.simulation, seed=p.seed, **p.ranks, dtype=p.dtype)
    table.to_csv(snakemake.output[0], index=False)
