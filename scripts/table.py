"""A figure's table, by its registered table builder, from the artefacts it reads."""

from bnrank import labels, workflow
from bnrank.figures import FIGURES

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    p, figure = snakemake.params, FIGURES[snakemake.wildcards.figure]
    artefacts = workflow.read_inputs({name: snakemake.input[name] for name in figure.reads})
    context = labels.context_with_record(p.context, snakemake.input.get("data_record"))
    table = figure.table(**artefacts, **p.settings, **context, **p.convergence)
    table.to_csv(snakemake.output[0], index=False)
