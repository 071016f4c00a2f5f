"""Fig 15 simulation (beyond the paper): ‖∂L/∂H_ℓ‖² over the layers of deep BN networks."""

from threadpoolctl import threadpool_limits

from bnrank import workflow
from bnrank.chains import gradients
from bnrank.settings import Gradients, build

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    workflow.use_threads(snakemake.threads)
    p = snakemake.params
    with threadpool_limits(snakemake.threads, user_api="blas"):  # the QR of the orthogonal weights
        table = gradients.gradients(build(Gradients, p.gradients), p.seed, p.dtype)
    table.to_csv(snakemake.output[0], index=False)
