# Rank pretraining (Algorithm 1) of the variants that ask for it.


def pretrain_settings(w):
    return config["pretraining"][config["variants"][w.variant]["pretrain"]]


rule pretrain:
    input:
        data=lambda w: dataset_file(w.exp),
        weights=lambda w: init_file(w.exp, w.variant, w.depth, w.seed),
    output:
        weights=f"{RESULTS}/pretrain/{{exp}}/{{variant}}/d{{depth}}/s{{seed}}.npz",
        log_table=f"{RESULTS}/pretrain/{{exp}}/{{variant}}/d{{depth}}/s{{seed}}.csv",
    params:
        dataset=lambda w: dataset_name(w.exp),
        arch=arch_settings(),
        settings=pretrain_settings,
        train_samples=lambda w: config[w.exp]["train_samples"],
        input_scale=config["training"]["input_scale"],
        base_seed=config["seed"],
    threads: config["training"]["threads"]
    log:
        f"{RESULTS}/logs/pretrain/{{exp}}_{{variant}}_d{{depth}}_s{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/pretrain/{{exp}}_{{variant}}_d{{depth}}_s{{seed}}.tsv"
    script:
        "../scripts/pretrain.py"
