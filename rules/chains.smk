# Random-matrix chains (docs/figures.md, "Objects and formulas"): the simulations
# behind Figs 2, 3, 8 and 9, one rule per section of `chains` in the config.


rule simulate_depth_sweep:
    """Fig 2: rank notions of BN and vanilla chains over many layers."""
    input:
        code=code("simulate_depth_sweep.py"),
    output:
        paths.depth_sweep(),
    log:
        paths.log("simulate_depth_sweep"),
    benchmark:
        paths.benchmark("simulate_depth_sweep")
    threads: S.chains.threads
    params:
        depth_sweep=plain(S.chains.depth_sweep),
        rank_notions=plain(S.rank_notions),
        seed=S.seed,
        dtype=S.chains.dtype,
    script:
        "../scripts/simulate_depth_sweep.py"


rule simulate_width_sweep:
    """Figs 3a, 8, 9: the linear BN chains of one width, every γ in one batch."""
    input:
        code=code("simulate_width_sweep.py"),
    output:
        ranks=paths.width_sweep("{width}", "ranks"),
        moments=paths.width_sweep("{width}", "moments"),
    log:
        paths.log("simulate_width_sweep", "width{width}"),
    benchmark:
        paths.benchmark("simulate_width_sweep", "width{width}")
    threads: S.chains.threads
    params:
        width_sweep=lambda w: S.chains.width_sweep.job(int(w.width)),
        rank_notions=plain(S.rank_notions),
        seed=S.seed,
        dtype=S.chains.dtype,
    script:
        "../scripts/simulate_width_sweep.py"


rule simulate_spectrum:
    """Fig 3b: top eigenvalues of M over depth from nearly collinear inputs."""
    input:
        code=code("simulate_spectrum.py"),
    output:
        paths.spectrum(),
    log:
        paths.log("simulate_spectrum"),
    benchmark:
        paths.benchmark("simulate_spectrum")
    threads: S.chains.threads
    params:
        spectrum=plain(S.chains.spectrum),
        seed=S.seed,
        dtype=S.chains.dtype,
    script:
        "../scripts/simulate_spectrum.py"
