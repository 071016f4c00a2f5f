# Random-matrix chains (FIGURES.md §1): the simulations behind Figs 2, 3, 8 and 9.


rule simulate_depth:
    """Fig 2: rank notions of BN and vanilla chains over 50,000 layers."""
    output:
        f"{RESULTS}/sims/fig2_depth.csv",
    params:
        simulation=config["fig2"]["simulation"],
        seed=config["seed"],
        ranks=config["rank_notions"],
        dtype=config["dtype"],
    threads: config["threads"]
    log:
        f"{RESULTS}/logs/simulate_depth.log",
    benchmark:
        f"{RESULTS}/benchmarks/simulate_depth.tsv"
    script:
        "../scripts/simulate_depth.py"


rule simulate_width:
    """Figs 3a, 8, 9: the linear BN chains of one width d, every γ in one batch."""
    output:
        ranks=f"{RESULTS}/sims/chains/d{{d}}_ranks.csv",
        moments=f"{RESULTS}/sims/chains/d{{d}}_moments.csv",
    params:
        chains=without(config["chains"], "widths"),
        seed=config["seed"],
        ranks=config["rank_notions"],
        dtype=config["dtype"],
    threads: config["threads"]
    log:
        f"{RESULTS}/logs/simulate_width_d{{d}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/simulate_width_d{{d}}.tsv"
    script:
        "../scripts/simulate_width.py"


rule simulate_spectrum:
    """Fig 3b: top eigenvalues of M over depth from nearly collinear inputs."""
    output:
        f"{RESULTS}/sims/fig3b_spectrum.csv",
    params:
        spectrum=config["fig3"]["spectrum"],
        seed=config["seed"],
        dtype=config["dtype"],
    threads: config["threads"]
    log:
        f"{RESULTS}/logs/simulate_spectrum.log",
    benchmark:
        f"{RESULTS}/benchmarks/simulate_spectrum.tsv"
    script:
        "../scripts/simulate_spectrum.py"
