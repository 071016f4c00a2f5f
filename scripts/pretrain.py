"""Rank pretraining (Algorithm 1) of one network: initial weights in, pretrained weights out."""

from bnrank import experiments, init, workflow

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    workflow.use_threads(snakemake.threads)
    w, p = snakemake.wildcards, snakemake.params
    weights, log = experiments.pretrained_weights(
        snakemake.input.data, snakemake.input.weights, p.dataset, int(w.depth), p.arch, p.settings,
        p.train_samples, p.input_scale, (p.base_seed, int(w.seed)),
    )
    print(log.to_string())
    init.save_params(snakemake.output.weights, weights)
    log.to_csv(snakemake.output.log_table, index=False)
