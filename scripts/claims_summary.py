"""All claims files gathered into one Markdown report."""

from pathlib import Path

import pandas as pd

from bnrank import claims, workflow

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    found = {Path(p).stem: pd.read_csv(p) for p in snakemake.input}
    text = claims.summary(found, title=snakemake.params.title)
    Path(snakemake.output[0]).write_text(text)
