"""Fig 16 simulation (beyond the paper): −log I(G) of LayerNorm and RMSNorm chains over depth."""

from bnrank import workflow
from bnrank.chains import isometry
from bnrank.settings import Isometry, build

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    workflow.use_threads(snakemake.threads)
    p = snakemake.params
    table = isometry.isometry(build(Isometry, p.isometry), p.seed, p.dtype)
    table.to_csv(snakemake.output[0], index=False)
