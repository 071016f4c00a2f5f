"""A figure's claims, checked against its table."""

import pandas as pd

from bnrank import claims, workflow

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    table = pd.read_csv(snakemake.input[0])
    rows = claims.check(snakemake.wildcards.fig, table, snakemake.params.thresholds, note=snakemake.params.note)
    rows.to_csv(snakemake.output[0], index=False)
    print(rows.to_string())
