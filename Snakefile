# Regenerates the figures of "Batch Normalization Provably Avoids Rank Collapse for
# Randomly Initialised Deep Networks" (Daneshmand et al., NeurIPS 2020).
#   snakemake fig2                                   # one figure, paper preset
#   snakemake all --configfile presets/quick.yaml    # every figure, quick preset
# The figures are those of the registry, bnrank/figures.py; README.md says how to use
# and extend the workflow.

from snakemake.utils import min_version

min_version("9.0")


configfile: f"{workflow.basedir}/config.yaml"


include: "rules/common.smk"
include: "rules/chains.smk"
include: "rules/beyond.smk"
include: "rules/data.smk"
include: "rules/init.smk"
include: "rules/pretrain.smk"
include: "rules/train.smk"
include: "rules/measure.smk"
include: "rules/cnn.smk"
include: "rules/figures.smk"


rule all:
    default_target: True
    input:
        [paths.figure_outputs(f) for f in FIGURES],
        paths.claims_report(),


# The run log, results/<preset>/runs.tsv: what each invocation ran, how long it took,
# and on which machine; docs/results.md is made from it (make results-page).
_run = {}


onstart:
    _run.update(run_started(workflow))


onsuccess:
    if _run.get("jobs_run"):
        run_finished(paths.runs(), _run)
