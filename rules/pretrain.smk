# Rank pretraining (Algorithm 1) of the variants that ask for it.


rule pretrain:
    input:
        data=lambda w: dataset_file(w.experiment),
        weights=lambda w: init_weights_file(w.experiment, w.variant, w.depth, w.seed),
        code=code("pretrain.py"),
    output:
        weights=paths.pretrained_weights("{experiment}", "{variant}", "{depth}", "{seed}"),
        ranks=paths.pretrain_ranks("{experiment}", "{variant}", "{depth}", "{seed}"),
    log:
        paths.log("pretrain", "{experiment}_{variant}_depth{depth}_seed{seed}"),
    benchmark:
        paths.benchmark("pretrain", "{experiment}_{variant}_depth{depth}_seed{seed}")
    threads: S.training.threads
    params:
        dataset=lambda w: S.dataset_name(w.experiment),
        network=plain(S.network),
        pretraining=lambda w: plain(S.pretraining_of(w.variant)),
        train_samples=lambda w: S.experiments[w.experiment].train_samples,
        input_scale=lambda w: S.input_scale(w.variant),
        measurement=plain(S.measurement),
        base_seed=S.seed,
    script:
        "../scripts/pretrain.py"
