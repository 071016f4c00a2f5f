"""A figure (PDF and PNG) drawn from its table."""

import pandas as pd

from bnrank import plots, workflow

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    p = snakemake.params
    table = pd.read_csv(snakemake.input[0])
    plots.draw(snakemake.wildcards.fig, table, list(snakemake.output), p.preset, p.label, **p.options)
