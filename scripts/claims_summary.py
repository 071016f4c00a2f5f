"""All claims files gathered into one Markdown report."""

from pathlib import Path

import pandas as pd

from bnrank import claims, workflow

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    found = {
        figure: pd.read_csv(path) for figure, path in zip(snakemake.params.figures, snakemake.input.claims, strict=True)
    }
    text = claims.summary(found, title=snakemake.params.title)
    Path(snakemake.output[0]).write_text(text)
