"""A data set from its sources (or the CIFAR-10 stand-in), stored once as a tensor file."""

from pathlib import Path

from bnrank import workflow
from bnrank.nets import data

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    name, p = snakemake.wildcards.dataset, snakemake.params
    dataset = data.prepare(name, p.sources, p.cache)
    print(f"{name}: {len(dataset.train_y)} training and {len(dataset.test_y)} test samples from {dataset.source}")
    dataset.save(Path(snakemake.output[0]))
