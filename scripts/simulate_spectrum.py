"""Fig 3b simulation: top eigenvalues of M over depth from nearly collinear inputs."""

from bnrank import simulate, workflow

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    workflow.use_threads(snakemake.threads)
    p = snakemake.params
    simulate.collinear_spectrum(**p.spectrum, seed=p.seed, dtype=p.dtype).to_csv(snakemake.output[0], index=False)
