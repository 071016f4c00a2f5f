"""Rank pretraining (Algorithm 1) of one network: initial weights in, pretrained weights out."""

from bnrank import workflow
from bnrank.nets import experiments, init
from bnrank.settings import Network, Pretraining, build

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    workflow.use_threads(snakemake.threads)
    w, p = snakemake.wildcards, snakemake.params
    arch = init.architecture(p.dataset, int(w.depth), "none", build(Network, p.network))
    weights, log = experiments.pretrained_weights(
        snakemake.input.data,
        snakemake.input.weights,
        arch,
        build(Pretraining, p.pretraining),
        p.train_samples,
        p.input_scale,
        (p.base_seed, int(w.seed)),
    )
    print(log.to_string())
    init.save_params(snakemake.output.weights, weights)
    log.to_csv(snakemake.output.log_table, index=False)
