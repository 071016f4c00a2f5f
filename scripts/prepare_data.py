"""A data set from its sources (or the CIFAR-10 stand-in), stored once as a tensor file,
with a record of what was prepared (for ``cifar10_auto``: CIFAR-10 or the stand-in)."""

from pathlib import Path

from bnrank import labels, workflow
from bnrank.nets import data

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    name, p = snakemake.wildcards.dataset, snakemake.params
    dataset = data.prepare(name, p.sources, p.cache)
    print(f"{name}: {len(dataset.train_y)} training and {len(dataset.test_y)} test samples from {dataset.source}")
    dataset.save(Path(snakemake.output.data))
    labels.write_record(snakemake.output.record, data.prepared_as(name, dataset), dataset.source)
