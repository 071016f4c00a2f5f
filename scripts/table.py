"""A figure's table, by its registered table builder, from the artefacts it reads."""

from bnrank import workflow
from bnrank.figures import FIGURES

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    p = snakemake.params
    build = FIGURES[snakemake.wildcards.figure].table
    table = build(**workflow.read_inputs(snakemake.input), **p.settings, **p.context)
    table.to_csv(snakemake.output[0], index=False)
