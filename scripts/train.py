"""One training stage of one architecture: its seeds over the rate grid (selection) or at the
rate select_lr chose (reported), all models at once; resumes from its checkpoint."""

from pathlib import Path

import pandas as pd

from bnrank import workflow
from bnrank.nets import experiments, init
from bnrank.settings import Measurement, Network, Training, build
from bnrank.streams import RunSeed

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    workflow.use_threads(snakemake.threads)
    w, p = snakemake.wildcards, snakemake.params
    checkpoint = Path(p.checkpoint)
    training = build(Training, p.training)
    if snakemake.input.selected:  # the reported stage
        training = experiments.at_selected_rate(
            training, pd.read_csv(snakemake.input.selected[0]), w.variant, int(w.depth)
        )
    metrics, ranks = experiments.train_runs(
        variant=w.variant,
        dataset_path=snakemake.input.data,
        weights=list(snakemake.input.weights),
        seeds=[RunSeed(p.base_seed, s) for s in p.seeds],
        arch=init.architecture(p.dataset, int(w.depth), p.norm, build(Network, p.network)),
        training=training,
        measurement=build(Measurement, p.measurement),
        checkpoint=checkpoint,
        store=Path(p.store),
        code=list(snakemake.input.code),
    )
    metrics.to_csv(snakemake.output.metrics, index=False)
    ranks.to_csv(snakemake.output.ranks, index=False)
    checkpoint.unlink(missing_ok=True)  # finished: the outputs now hold everything
