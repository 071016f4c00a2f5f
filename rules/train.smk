# Training in two stages per (experiment, variant): `selection` trains the selection seeds
# over the learning-rate grid, select_lr picks a rate per depth from them, and `reported`
# trains the reported seeds at those rates only. Each stage trains all its models, every
# depth, in one stack (one job; docs/figures.md, "Training jobs"); models finished before
# (same settings, same code) are taken from the store of their depth, which the two stages
# share, so with selection_seeds: 0 the reported stage finds all its models there.


rule train:
    """SGD for all models of one stage, every depth, at once (bnrank.nets.experiments.train_runs);
    checkpoints every training.checkpoint_seconds. A depth, seed or rate added to the config
    trains only the new models."""
    input:
        data=lambda w: dataset_file(w.experiment),
        weights=lambda w: [
            start_weights_file(w.experiment, w.variant, d, s)
            for d in S.experiments[w.experiment].depths
            for s in S.experiments[w.experiment].stage_seeds(w.stage)
        ],
        selected=lambda w: [paths.selected_lr(w.experiment)] if w.stage == "reported" else [],
        code=code("train.py"),
    output:
        metrics=paths.metrics("{experiment}", "{variant}", "{stage}"),
        ranks=paths.ranks("{experiment}", "{variant}", "{stage}"),
    log:
        paths.log("train", "{experiment}_{variant}_{stage}"),
    benchmark:
        paths.benchmark("train", "{experiment}_{variant}_{stage}")
    priority: 1  # before the other long jobs: a reported stage waits on its experiment's selection stages
    threads: S.training.threads
    resources:
        gpu=TRAINING_GPUS,
    params:
        dataset=lambda w: S.dataset_name(w.experiment),
        norm=lambda w: S.variants[w.variant].norm,
        network=plain(S.network),
        training=lambda w: plain(S.training_job(w.experiment, w.variant)),
        measurement=plain(S.measurement),
        depths=lambda w: S.experiments[w.experiment].depths,
        seeds=lambda w: S.experiments[w.experiment].stage_seeds(w.stage),
        base_seed=S.seed,
        checkpoint=lambda w: paths.checkpoint(w.experiment, w.variant, w.stage),
        stores=lambda w: {
            d: paths.finished_models(w.experiment, w.variant, d) for d in S.experiments[w.experiment].depths
        },
    script:
        "../scripts/train.py"


rule select_lr:
    """The learning rate of each (variant, depth), by training.lr_rule on the experiment's
    selection seeds; the reported stage trains at them, and the tables record them."""
    input:
        metrics=lambda w: experiment_files(w.experiment, "metrics", "selection"),
        code=code("select_lr.py"),
    output:
        paths.selected_lr("{experiment}"),
    log:
        paths.log("select_lr", "{experiment}"),
    params:
        lr_rule=S.training.lr_rule,
        seeds=lambda w: S.experiments[w.experiment].lr_selection_seeds,
    script:
        "../scripts/select_lr.py"
