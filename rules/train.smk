# Training: every (seed, learning rate) of one (experiment, variant, depth) in one batched job;
# models finished before (same settings, same code) are taken from its store, not retrained.


rule train:
    """SGD over the learning-rate grid for all seeds at once; checkpoints every training.checkpoint_seconds. A
    seed or rate added to the config trains only the new models (bnrank.nets.experiments.train_runs)."""
    input:
        data=lambda w: dataset_file(w.experiment),
        weights=lambda w: [
            start_weights_file(w.experiment, w.variant, w.depth, s) for s in S.experiments[w.experiment].seeds
        ],
        code=code("train.py"),
    output:
        metrics=paths.metrics("{experiment}", "{variant}", "{depth}"),
        ranks=paths.ranks("{experiment}", "{variant}", "{depth}"),
    log:
        paths.log("train", "{experiment}_{variant}_depth{depth}"),
    benchmark:
        paths.benchmark("train", "{experiment}_{variant}_depth{depth}")
    threads: S.training.threads
    resources:
        gpu=TRAINING_GPUS,
    params:
        dataset=lambda w: S.dataset_name(w.experiment),
        norm=lambda w: S.variants[w.variant].norm,
        network=plain(S.network),
        training=lambda w: plain(S.training_job(w.experiment, w.variant)),
        measurement=plain(S.measurement),
        seeds=lambda w: S.experiments[w.experiment].seeds,
        base_seed=S.seed,
        checkpoint=lambda w: paths.checkpoint(w.experiment, w.variant, w.depth),
        store=lambda w: paths.finished_models(w.experiment, w.variant, w.depth),
    script:
        "../scripts/train.py"


rule select_lr:
    """The learning rate of each (variant, depth), by training.lr_rule on the experiment's
    selection seeds; recorded in the tables."""
    input:
        metrics=lambda w: experiment_files(w.experiment, "metrics"),
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
