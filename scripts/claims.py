"""A figure's claims, checked by its registered check against its table."""

import pandas as pd

from bnrank import claims, labels, workflow
from bnrank.figures import FIGURES

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    p = snakemake.params
    table = pd.read_csv(snakemake.input[0])
    note = labels.with_record(p.note, snakemake.input.get("data_record"))
    limits = {**p.thresholds, **p.convergence}  # figN.claims, and the convergence limits the check takes
    rows = claims.check(FIGURES[snakemake.wildcards.figure].claims, table, limits, note=note)
    rows.to_csv(snakemake.output[0], index=False)
    print(rows.to_string())
