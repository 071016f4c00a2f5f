# Initial weights, one file per (data set, normalisation, init scheme, depth, seed).


rule init_weights:
    output:
        f"{RESULTS}/init/{{dataset}}/{{norm}}-{{scheme}}/d{{depth}}/s{{seed}}.npz",
    params:
        arch=arch_settings(),
        base_seed=config["seed"],
    log:
        f"{RESULTS}/logs/init/{{dataset}}_{{norm}}-{{scheme}}_d{{depth}}_s{{seed}}.log",
    script:
        "../scripts/init_weights.py"
