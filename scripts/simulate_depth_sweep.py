"""Fig 2 simulation: rank notions of BN and vanilla chains over depth."""

from bnrank import workflow
from bnrank.chains import simulate
from bnrank.settings import DepthSweep, RankNotions, build

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    workflow.use_threads(snakemake.threads)
    p = snakemake.params
    table = simulate.depth_sweep(build(DepthSweep, p.depth_sweep), build(RankNotions, p.rank_notions), p.seed, p.dtype)
    table.to_csv(snakemake.output[0], index=False)
