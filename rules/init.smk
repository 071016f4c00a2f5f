# Initial weights, one file per (data set, normalisation, init scheme, depth, seed).


rule init_weights:
    input:
        code=code("init_weights.py"),
    output:
        paths.init_weights("{dataset}", "{norm}", "{scheme}", "{depth}", "{seed}"),
    log:
        paths.log("init_weights", "{dataset}_{norm}-{scheme}_depth{depth}_seed{seed}"),
    params:
        network=plain(S.network),
        base_seed=S.seed,
    script:
        "../scripts/init_weights.py"
