"""Rank pretraining (Algorithm 1) of one network: initial weights in, pretrained weights
and the ranks of its hidden layers before and after out."""

from bnrank import workflow
from bnrank.nets import experiments, init
from bnrank.settings import Measurement, Network, Pretraining, build
from bnrank.streams import RunSeed

with workflow.logged(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    workflow.use_threads(snakemake.threads)
    w, p = snakemake.wildcards, snakemake.params
    arch = init.architecture(p.dataset, int(w.depth), "none", build(Network, p.network))
    weights, ranks, log = experiments.pretrained_weights(
        dataset_path=snakemake.input.data,
        weights_path=snakemake.input.weights,
        arch=arch,
        pretraining=build(Pretraining, p.pretraining),
        train_samples=p.train_samples,
        input_scale=p.input_scale,
        measurement=build(Measurement, p.measurement),
        seed=RunSeed(p.base_seed, int(w.seed)),
    )
    print("r(H) of each pretrained layer on Algorithm 1's first and last minibatch:")
    print(log.to_string())
    init.save_params(snakemake.output.weights, weights)
    ranks.assign(variant=w.variant).to_csv(snakemake.output.ranks, index=False)
