"""One CNN run from its initial weights; resumes from its checkpoint."""

from pathlib import Path

from bnrank import workflow
from bnrank.nets import cnn_experiments
from bnrank.settings import CnnRun, CnnVariant, Measurement, build

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    workflow.use_threads(snakemake.threads)
    w, p = snakemake.wildcards, snakemake.params
    checkpoint = Path(p.checkpoint)
    records = cnn_experiments.train_cnn_run(
        w.variant,
        snakemake.input.data,
        snakemake.input.weights,
        p.architecture,
        build(CnnVariant, p.variant),
        p.width,
        build(CnnRun, p.run),
        build(Measurement, p.measurement),
        (p.base_seed, int(w.seed)),
        checkpoint,
    )
    records.to_csv(snakemake.output[0], index=False)
    checkpoint.unlink(missing_ok=True)  # finished: the records now hold everything
