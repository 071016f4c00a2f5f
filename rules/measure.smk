# Rank measurements at initialisation over a grid of depths and seeds (Fig 1, left).
# Ranks after every epoch are measured inside the training jobs (rules/train.smk),
# with the same function, because keeping every epoch's weights would cost gigabytes.


def init_grid(w):
    e = config[w.exp]
    return [(d, s) for d in e["rank_depths"] for s in range(e["rank_seeds"])]


rule measure_init:
    input:
        data=lambda w: dataset_file(w.exp),
        weights=lambda w: [init_file(w.exp, w.variant, d, s) for d, s in init_grid(w)],
    output:
        f"{RESULTS}/measure/{{exp}}/{{variant}}_init.csv",
    params:
        grid=init_grid,
        settings=lambda w: {
            "dataset": dataset_name(w.exp),
            "norm": config["variants"][w.variant]["norm"],
            "arch": arch_settings(),
            "train_samples": config[w.exp]["train_samples"],
            "probe": config["training"]["probe"],
            "base_seed": config["seed"],
            "input_scale": config["training"]["input_scale"],
            "dtype": config["training"]["measure_dtype"],
            "taus": config["rank_notions"]["taus"],
            "eig_threshold": config["rank_notions"]["eig_threshold"],
        },
    threads: config["training"]["threads"]
    log:
        f"{RESULTS}/logs/measure_init_{{exp}}_{{variant}}.log",
    script:
        "../scripts/measure_init.py"
