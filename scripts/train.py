"""SGD on every (seed, learning rate) of one architecture at once; resumes from its checkpoint."""

from pathlib import Path

from bnrank import workflow
from bnrank.nets import experiments, init
from bnrank.settings import Measurement, Network, Training, build
from bnrank.streams import RunSeed

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    workflow.use_threads(snakemake.threads)
    w, p = snakemake.wildcards, snakemake.params
    checkpoint = Path(p.checkpoint)
    metrics, ranks = experiments.train_runs(
        variant=w.variant,
        dataset_path=snakemake.input.data,
        weights=list(snakemake.input.weights),
        seeds=[RunSeed(p.base_seed, s) for s in p.seeds],
        arch=init.architecture(p.dataset, int(w.depth), p.norm, build(Network, p.network)),
        training=build(Training, p.training),
        measurement=build(Measurement, p.measurement),
        checkpoint=checkpoint,
        store=Path(p.store),
        code=list(snakemake.input.code),
    )
    metrics.to_csv(snakemake.output.metrics, index=False)
    ranks.to_csv(snakemake.output.ranks, index=False)
    checkpoint.unlink(missing_ok=True)  # finished: the outputs now hold everything
