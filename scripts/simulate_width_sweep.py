"""Figs 3a, 8, 9 simulation: linear BN chains of one width, all γ batched."""

from bnrank import workflow
from bnrank.chains import simulate
from bnrank.settings import RankNotions, WidthSweep, build

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    workflow.use_threads(snakemake.threads)
    p = snakemake.params
    ranks, moments = simulate.width_sweep(
        width=int(snakemake.wildcards.width),
        sweep=build(WidthSweep, p.width_sweep),
        notions=build(RankNotions, p.rank_notions),
        seed=p.seed,
        dtype=p.dtype,
    )
    ranks.to_csv(snakemake.output.ranks, index=False)
    moments.to_csv(snakemake.output.moments, index=False)
