# Rank measurements at initialisation over a grid of depths and seeds (Fig 1, left).
# Ranks after every epoch are measured inside the training jobs (rules/train.smk),
# with the same function, because keeping every epoch's weights would cost gigabytes.


rule measure_init:
    input:
        data=lambda w: dataset_file(w.experiment),
        weights=lambda w: [init_weights_file(w.experiment, w.variant, d, s) for d, s in init_grid(w)],
        code=code("measure_init.py"),
    output:
        paths.init_ranks("{experiment}", "{variant}"),
    log:
        paths.log("measure_init", "{experiment}_{variant}"),
    benchmark:
        paths.benchmark("measure_init", "{experiment}_{variant}")
    threads: S.training.threads
    params:
        grid=init_grid,
        dataset=lambda w: S.dataset_name(w.experiment),
        norm=lambda w: S.variants[w.variant].norm,
        network=plain(S.network),
        train_samples=lambda w: S.experiments[w.experiment].train_samples,
        input_scale=lambda w: S.input_scale(w.variant),
        measurement=plain(S.measurement),
        base_seed=S.seed,
    script:
        "../scripts/measure_init.py"
