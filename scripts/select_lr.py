"""The learning rate of each (variant, depth) of an experiment, by the config's rule."""

from bnrank import tables, workflow

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    frames = workflow.read_inputs(snakemake.input)["metrics"]
    p = snakemake.params
    tables.select_learning_rates(frames, p.lr_rule, p.seeds).to_csv(snakemake.output[0], index=False)
