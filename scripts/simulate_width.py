"""Figs 3a, 8, 9 simulation: linear BN chains of one width, all γ batched."""

from bnrank import simulate, workflow

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    workflow.use_threads(snakemake.threads)
    p = snakemake.params
    ranks, moments = simulate.width_chains(
        int(snakemake.wildcards.d), **p.chains, seed=p.seed, **p.ranks, dtype=p.dtype
    )
    ranks.to_csv(snakemake.output.ranks, index=False)
    moments.to_csv(snakemake.output.moments, index=False)
