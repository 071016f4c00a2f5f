"""Fig 3b simulation: top eigenvalues of M over depth from nearly collinear inputs."""

from bnrank import workflow
from bnrank.chains import simulate
from bnrank.settings import Spectrum, build

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    workflow.use_threads(snakemake.threads)
    p = snakemake.params
    simulate.spectrum(build(Spectrum, p.spectrum), p.seed, p.dtype).to_csv(snakemake.output[0], index=False)
