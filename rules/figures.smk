# Figure tables (the numbers each figure plots), claims, pictures and the claims report.
# Tables read simulation files; pictures and claims read only tables, so restyling a
# plot or changing a claim's threshold never reruns a simulation.


def chain_files(kind):
    return expand(f"{RESULTS}/sims/chains/d{{d}}_{kind}.csv", d=WIDTHS)


FIGURE_EXPERIMENT = {"fig1": "fig1", "fig4": "fig4", "fig6": "fig6", "fig11": "fig4", "fig12": "fig12"}


def variant_kinds(exp):
    """Each variant's normalisation, init scheme and pretraining iterations, for tables."""
    kinds = {}
    for v in config[exp]["variants"]:
        settings = config["variants"][v]
        pretrain = settings.get("pretrain")
        kinds[v] = {**settings, "pretrain_iterations": config["pretraining"][pretrain]["iterations"] if pretrain else 0}
    return kinds


def note(fig):
    """The label on a figure and its claims: the preset's, and the stand-in's if any."""
    return figure_note(FIGURE_EXPERIMENT[fig]) if fig in FIGURE_EXPERIMENT else config["label"]


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


rule table_fig1:
    input:
        init=expand(f"{RESULTS}/measure/fig1/{{variant}}_init.csv", variant=config["fig1"]["variants"]),
        metrics=train_files("fig1"),
        selected=f"{RESULTS}/train/fig1/selected_lr.csv",
    output:
        f"{RESULTS}/tables/fig1.csv",
    params:
        variants=variant_kinds("fig1"),
        width=config["training"]["width"],
        dataset=dataset_name("fig1"),
    log:
        f"{RESULTS}/logs/table_fig1.log",
    script:
        "../scripts/table.py"


for _fig, _exp in (("fig4", "fig4"), ("fig11", "fig4"), ("fig12", "fig12")):

    rule:
        name:
            f"table_{_fig}"
        input:
            metrics=train_files(_exp),
            selected=f"{RESULTS}/train/{_exp}/selected_lr.csv",
        output:
            f"{RESULTS}/tables/{_fig}.csv",
        params:
            variants=variant_kinds(_exp),
            dataset=dataset_name(_exp),
        log:
            f"{RESULTS}/logs/table_{_fig}.log",
        script:
            "../scripts/table.py"


rule table_fig6:
    input:
        metrics=train_files("fig6"),
        ranks=train_files("fig6", "ranks"),
        selected=f"{RESULTS}/train/fig6/selected_lr.csv",
    output:
        f"{RESULTS}/tables/fig6.csv",
    params:
        variants=variant_kinds("fig6"),
        dataset=dataset_name("fig6"),
    log:
        f"{RESULTS}/logs/table_fig6.log",
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
        note=lambda w: note(w.fig),
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
        label=lambda w: note(w.fig),
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


rule fig1:
    input:
        figure_outputs("fig1"),


rule fig2:
    input:
        figure_outputs("fig2"),


rule fig4:
    input:
        figure_outputs("fig4"),


rule fig6:
    input:
        figure_outputs("fig6"),


rule fig11:
    input:
        figure_outputs("fig11"),


rule fig12:
    input:
        figure_outputs("fig12"),


rule fig3:
    input:
        figure_outputs("fig3"),


rule fig8:
    input:
        figure_outputs("fig8"),


rule fig9:
    input:
        figure_outputs("fig9"),
