"""A data set from its sources (or the CIFAR-10 stand-in), stored once as a tensor file."""

from pathlib import Path

from bnrank import experiments, workflow

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    p = snakemake.params
    dataset = experiments.prepare_dataset(p.kind, p.cache, **p.sources)
    print(f"{p.kind}: {len(dataset.train_y)} training and {len(dataset.test_y)} test samples from {dataset.source}")
    dataset.save(Path(snakemake.output[0]))
