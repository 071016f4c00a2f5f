"""One CNN run from its initial weights; resumes from its checkpoint."""

from pathlib import Path

from bnrank import workflow
from bnrank.nets import cnn_experiments
from bnrank.settings import CnnRun, CnnVariant, Measurement, build
from bnrank.streams import RunSeed

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    workflow.use_threads(snakemake.threads)
    w, p = snakemake.wildcards, snakemake.params
    checkpoint = Path(p.checkpoint)
    records = cnn_experiments.train_cnn_run(
        variant_name=w.variant,
        dataset_path=snakemake.input.data,
        weights_path=snakemake.input.weights,
        architecture=p.architecture,
        variant=build(CnnVariant, p.variant),
        width=p.width,
        run=build(CnnRun, p.run),
        measurement=build(Measurement, p.measurement),
        seed=RunSeed(p.base_seed, int(w.seed)),
        checkpoint=checkpoint,
        code=list(snakemake.input.code),
    )
    records.to_csv(snakemake.output[0], index=False)
    checkpoint.unlink(missing_ok=True)  # finished: the records now hold everything
