# Training: every (seed, learning rate) of one (experiment, variant, depth) in one batched job.


def train_settings(w):
    e, t = config[w.exp], config["training"]
    return {
        "lrs": e["lrs"][w.variant],
        "dataset": dataset_name(w.exp),
        "depth": int(w.depth),
        "norm": config["variants"][w.variant]["norm"],
        "arch": arch_settings(),
        "epochs": e["epochs"],
        "batch": e["batch"],
        "train_samples": e["train_samples"],
        "input_scale": t["input_scale"],
        "probe": t["probe"],
        "measure_dtype": t["measure_dtype"],
        "taus": config["rank_notions"]["taus"],
        "eig_threshold": config["rank_notions"]["eig_threshold"],
        "device": t["device"],
    }


rule train:
    """SGD over the learning-rate grid for all seeds at once; checkpoints every epoch."""
    input:
        data=lambda w: dataset_file(w.exp),
        weights=lambda w: [start_file(w.exp, w.variant, w.depth, s) for s in range(config[w.exp]["seeds"])],
    output:
        metrics=f"{RESULTS}/train/{{exp}}/{{variant}}/d{{depth}}/metrics.csv",
        ranks=f"{RESULTS}/train/{{exp}}/{{variant}}/d{{depth}}/ranks.csv",
    params:
        settings=train_settings,
        seeds=lambda w: list(range(config[w.exp]["seeds"])),
        base_seed=config["seed"],
        checkpoint=lambda w: f"{RESULTS}/train/{w.exp}/{w.variant}/d{w.depth}/checkpoint.pt",
    threads: config["training"]["threads"]
    resources:
        gpu=1,
    log:
        f"{RESULTS}/logs/train/{{exp}}_{{variant}}_d{{depth}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train/{{exp}}_{{variant}}_d{{depth}}.tsv"
    script:
        "../scripts/train.py"


rule select_lr:
    """The learning rate of each (variant, depth), by the config's rule; recorded in the tables."""
    input:
        metrics=lambda w: train_files(w.exp),
    output:
        f"{RESULTS}/train/{{exp}}/selected_lr.csv",
    params:
        rule=config["training"]["lr_rule"],
    log:
        f"{RESULTS}/logs/select_lr_{{exp}}.log",
    script:
        "../scripts/select_lr.py"
