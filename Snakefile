# Regenerates the figures of "Batch Normalization Provably Avoids Rank Collapse for
# Randomly Initialised Deep Networks" (Daneshmand et al., NeurIPS 2020).
#   snakemake fig2                                   # one figure, paper preset
#   snakemake all --configfile presets/quick.yaml    # every figure, quick preset
# See README.md for targets, presets, outputs and claims.

from snakemake.utils import min_version

min_version("9.0")


configfile: f"{workflow.basedir}/config.yaml"


include: "rules/common.smk"
include: "rules/chains.smk"
include: "rules/data.smk"
include: "rules/init.smk"
include: "rules/pretrain.smk"
include: "rules/train.smk"
include: "rules/measure.smk"
include: "rules/figures.smk"


rule all:
    default_target: True
    input:
        [figure_outputs(f) for f in FIGURES],
        f"{RESULTS}/claims.md",
