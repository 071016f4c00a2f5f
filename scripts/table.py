"""A figure's table from its simulation outputs (``bnrank.tables.<figure>``)."""

from pathlib import Path

from bnrank import tables, workflow

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    build = getattr(tables, Path(snakemake.output[0]).stem)
    table = build(**workflow.read_inputs(snakemake.input), **dict(snakemake.params.items()))
    table.to_csv(snakemake.output[0], index=False)
