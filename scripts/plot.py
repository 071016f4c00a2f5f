"""A figure (PDF and PNG) drawn by its registered plot from its table."""

import pandas as pd

from bnrank import labels, plots, workflow
from bnrank.figures import FIGURES

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    name, p = snakemake.wildcards.figure, snakemake.params
    table = pd.read_csv(snakemake.input[0])
    plots.draw(
        name=name,
        plot=FIGURES[name].plot,
        table=table,
        paths=list(snakemake.output),
        preset=p.preset,
        label=labels.with_record(p.label, snakemake.input.get("data_record")),
        **p.options,
    )
