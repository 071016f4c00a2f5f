# Every figure of the registry (bnrank/figures.py): its table (the numbers it plots),
# its claims, its picture, and its target. Tables read the stages' files; pictures and
# claims read only tables, so restyling a plot or changing a claim's threshold never
# reruns a simulation or a training. Where the data job chose the data set
# (data.cifar10.synthetic: auto) all three also read its record, which says whether the
# runs used the stand-in (bnrank.labels).


rule table:
    """A figure's table, built by its registered table builder from the artefacts it reads."""
    input:
        unpack(lambda w: {a: artefact_files(w.figure, a) for a in FIGURES[w.figure].reads}),
        unpack(lambda w: data_record(w.figure)),
        code=code("table.py"),
    output:
        paths.table("{figure}"),
    log:
        paths.log("table", "{figure}"),
    params:
        settings=lambda w: section(w.figure, "table"),
        context=lambda w: table_context(w.figure),
        convergence=lambda w: convergence(w.figure, "table"),
    script:
        "../scripts/table.py"


rule check_claims:
    """Checks a figure's claims against its table."""
    input:
        paths.table("{figure}"),
        unpack(lambda w: data_record(w.figure)),
        code=code("claims.py"),
    output:
        report(
            paths.claims("{figure}"),
            caption="../report/claims.rst",
            category=lambda w: paths.report_category(w.figure),
            labels=lambda w: {"figure": w.figure, "shows": "claims"},
        ),
    log:
        paths.log("check_claims", "{figure}"),
    params:
        thresholds=lambda w: section(w.figure, "claims"),
        convergence=lambda w: convergence(w.figure, "claims"),
        note=lambda w: figure_note(w.figure),
    script:
        "../scripts/claims.py"


rule plot:
    """Draws a figure from its table."""
    input:
        paths.table("{figure}"),
        unpack(lambda w: data_record(w.figure)),
        code=code("plot.py"),
    output:
        pdf=paths.figure("{figure}", "pdf"),
        png=report(
            paths.figure("{figure}", "png"),
            caption="../report/figure.rst",
            category=lambda w: paths.report_category(w.figure),
            labels=lambda w: {"figure": w.figure, "shows": "figure"},
        ),
    log:
        paths.log("plot", "{figure}"),
    params:
        title=lambda w: FIGURES[w.figure].title,
        preset=S.preset,
        label=lambda w: figure_note(w.figure),
        options=lambda w: plot_options(w.figure),
    script:
        "../scripts/plot.py"


rule claims:
    """Gathers every figure's claims into results/<preset>/claims.md (target: claims)."""
    input:
        claims=[paths.claims(f) for f in FIGURES],
        code=code("claims_summary.py"),
    output:
        paths.claims_report(),
    log:
        paths.log("claims"),
    params:
        figures=list(FIGURES),
        title=f"Claims — preset {S.preset}" + (f" ({S.label})" if S.label else ""),
    script:
        "../scripts/claims_summary.py"


for _figure in FIGURES:

    rule:
        name:
            _figure
        input:
            paths.figure_outputs(_figure),
