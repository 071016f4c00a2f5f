# Convolutional networks (Figs 5, 7, 10, 13): initial weights per (architecture, width
# multiplier, normalisation, init scheme, seed), and one training job per (experiment,
# variant, seed), which records metrics and last-hidden-layer measurements over iterations.


rule init_cnn:
    input:
        code=code("init_cnn.py"),
    output:
        paths.cnn_init("{architecture}", "{cnn_width}", "{cnn_norm}", "{cnn_scheme}", "{seed}"),
    log:
        paths.log("init_cnn", "{architecture}-width{cnn_width}_{cnn_norm}-{cnn_scheme}_seed{seed}"),
    params:
        base_seed=S.seed,
    script:
        "../scripts/init_cnn.py"


rule train_cnn:
    """SGD on one CNN with the data set on the device; checkpoints every cnn.checkpoint_every iterations."""
    input:
        data=lambda w: dataset_file(w.experiment),
        weights=lambda w: cnn_init_file(w.experiment, w.variant, w.seed),
        code=code("train_cnn.py"),
    output:
        paths.cnn_log("{experiment}", "{variant}", "{seed}"),
    log:
        paths.log("train_cnn", "{experiment}_{variant}_seed{seed}"),
    benchmark:
        paths.benchmark("train_cnn", "{experiment}_{variant}_seed{seed}")
    threads: S.cnn.threads
    resources:
        gpu=TRAINING_GPUS,
    params:
        architecture=lambda w: S.cnn_experiments[w.experiment].architecture,
        variant=lambda w: plain(S.cnn_variants[w.variant]),
        width=S.cnn.width,
        run=lambda w: plain(S.cnn_run(w.experiment, w.variant)),
        measurement=plain(S.measurement),
        base_seed=S.seed,
        checkpoint=lambda w: paths.cnn_checkpoint(w.experiment, w.variant, w.seed),
    script:
        "../scripts/train_cnn.py"
