"""One training stage of one variant, every depth: its seeds over the rate grid (selection) or
at the rates select_lr chose (reported), all models in one stack; resumes from its checkpoint."""

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
    rates = {depth: training.lrs for depth in p.depths}
    if snakemake.input.selected:  # the reported stage
        selected = pd.read_csv(snakemake.input.selected[0])
        rates = {depth: experiments.at_selected_rate(training, selected, w.variant, depth).lrs for depth in p.depths}
    network = build(Network, p.network)
    metrics, ranks = experiments.train_runs(
        variant=w.variant,
        dataset_path=snakemake.input.data,
        models=experiments.stage_models(
            seeds=[RunSeed(p.base_seed, s) for s in p.seeds], weights=list(snakemake.input.weights), rates=rates
        ),
        archs={depth: init.architecture(p.dataset, depth, p.norm, network) for depth in p.depths},
        training=training,
        measurement=build(Measurement, p.measurement),
        checkpoint=checkpoint,
        stores={depth: Path(store) for depth, store in p.stores.items()},
        code=list(snakemake.input.code),
    )
    metrics.to_csv(snakemake.output.metrics, index=False)
    ranks.to_csv(snakemake.output.ranks, index=False)
    checkpoint.unlink(missing_ok=True)  # finished: the outputs now hold everything
