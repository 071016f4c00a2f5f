"""Fig 14 simulation: the orthogonality gap of BN and unnormalised chains over depth and width."""

from bnrank import workflow
from bnrank.chains.orthogonality import orthogonality
from bnrank.settings import Orthogonality, build

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    workflow.use_threads(snakemake.threads)
    p = snakemake.params
    orthogonality(build(Orthogonality, p.orthogonality), p.seed, p.dtype).to_csv(snakemake.output[0], index=False)
