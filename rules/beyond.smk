# Beyond the paper (docs/figures.md §7): the deep chains of the three later results,
# one rule per section of `chains` in the config, on the engine of bnrank.chains.deep.

# --- fig14: orthogonality gap ---


rule simulate_orthogonality:
    """Fig 14: the orthogonality gap over depth of BN and unnormalised chains, every width."""
    input:
        code=code("simulate_orthogonality.py"),
    output:
        paths.orthogonality(),
    log:
        paths.log("simulate_orthogonality"),
    benchmark:
        paths.benchmark("simulate_orthogonality")
    threads: S.chains.threads
    params:
        orthogonality=plain(S.chains.orthogonality),
        seed=S.seed,
        dtype=S.chains.dtype,
    script:
        "../scripts/simulate_orthogonality.py"


# --- fig15: gradient explosion ---


rule simulate_gradients:
    """Fig 15: ‖∂L/∂H_ℓ‖² over the layers of deep BN networks, centred against the batch size, and uncentred."""
    input:
        code=code("simulate_gradients.py"),
    output:
        paths.gradients(),
    log:
        paths.log("simulate_gradients"),
    benchmark:
        paths.benchmark("simulate_gradients")
    threads: S.chains.threads
    params:
        gradients=plain(S.chains.gradients),
        seed=S.seed,
        dtype=S.chains.dtype,
    script:
        "../scripts/simulate_gradients.py"


# --- fig16: isometry ---


rule simulate_isometry:
    """Fig 16: −log I(G) over depth of LayerNorm and RMSNorm chains, one per activation."""
    input:
        code=code("simulate_isometry.py"),
    output:
        paths.isometry(),
    log:
        paths.log("simulate_isometry"),
    benchmark:
        paths.benchmark("simulate_isometry")
    threads: S.chains.threads
    params:
        isometry=plain(S.chains.isometry),
        seed=S.seed,
        dtype=S.chains.dtype,
    script:
        "../scripts/simulate_isometry.py"
