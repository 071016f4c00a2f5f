# Figure tables (the numbers each figure plots), claims, pictures and the claims report.
# Tables read simulation files; pictures and claims read only tables, so restyling a
# plot or changing a claim's threshold never reruns a simulation.


def chain_files(kind):
    return expand(f"{RESULTS}/sims/chains/d{{d}}_{kind}.csv", d=WIDTHS)


rule table_fig2:
    input:
        depth=rules.simulate_depth.output[0],
    output:
        f"{RESULTS}/tables/fig2.csv",
    params:
        rank=config["fig2"]["rank"],
        tau=config["fig2"].get("tau"),
    log:
        f"{RESULTS}/logs/table_fig2.log",
    script:
        "../scripts/table.py"


rule table_fig3:
    input:
        ranks=chain_files("ranks"),
        spectrum=rules.simulate_spectrum.output[0],
    output:
        f"{RESULTS}/tables/fig3.csv",
    params:
        rank=config["fig3"]["rank"],
        tau=config["fig3"].get("tau"),
    log:
        f"{RESULTS}/logs/table_fig3.log",
    script:
        "../scripts/table.py"


rule table_fig8:
    input:
        moments=chain_files("moments"),
    output:
        f"{RESULTS}/tables/fig8.csv",
    params:
        points=config["fig8"]["points"],
    log:
        f"{RESULTS}/logs/table_fig8.log",
    script:
        "../scripts/table.py"


rule table_fig9:
    input:
        moments=chain_files("moments"),
    output:
        f"{RESULTS}/tables/fig9.csv",
    log:
        f"{RESULTS}/logs/table_fig9.log",
    script:
        "../scripts/table.py"


rule check_claims:
    """Checks a figure's claims against its table."""
    input:
        f"{RESULTS}/tables/{{fig}}.csv",
    output:
        f"{RESULTS}/claims/{{fig}}.csv",
    params:
        thresholds=lambda w: config[w.fig]["claims"],
        note=config["label"],
    log:
        f"{RESULTS}/logs/claims_{{fig}}.log",
    script:
        "../scripts/claims.py"


PLOT_OPTIONS = {"fig8": {"reference": config["fig8"]["claims"]["max_alpha"]}}


rule plot:
    """Draws a figure from its table."""
    input:
        f"{RESULTS}/tables/{{fig}}.csv",
    output:
        pdf=f"{RESULTS}/figures/{{fig}}.pdf",
        png=report(
            f"{RESULTS}/figures/{{fig}}.png",
            caption="../report/figure.rst",
            category="Figures",
            labels=lambda w: {"figure": w.fig},
        ),
    params:
        preset=config["preset"],
        label=config["label"],
        options=lambda w: PLOT_OPTIONS.get(w.fig, {}),
    log:
        f"{RESULTS}/logs/plot_{{fig}}.log",
    script:
        "../scripts/plot.py"


rule claims:
    """Gathers every figure's claims into results/<preset>/claims.md (target: claims)."""
    input:
        expand(f"{RESULTS}/claims/{{fig}}.csv", fig=FIGURES),
    output:
        f"{RESULTS}/claims.md",
    params:
        title=f"Claims — preset {config['preset']}" + (f" ({config['label']})" if config["label"] else ""),
    log:
        f"{RESULTS}/logs/claims.log",
    script:
        "../scripts/claims_summary.py"


rule fig2:
    input:
        figure_outputs("fig2"),


rule fig3:
    input:
        figure_outputs("fig3"),


rule fig8:
    input:
        figure_outputs("fig8"),


rule fig9:
    input:
        figure_outputs("fig9"),
