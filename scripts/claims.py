"""A figure's claims, checked by its registered check against its table."""

import pandas as pd

from bnrank import claims, workflow
from bnrank.figures import FIGURES

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    p = snakemake.params
    table = pd.read_csv(snakemake.input[0])
    rows = claims.check(FIGURES[snakemake.wildcards.figure].claims, table, p.thresholds, note=p.note)
    rows.to_csv(snakemake.output[0], index=False)
    print(rows.to_string())
