"""bnrank: reproduce "Batch Normalization Provably Avoids Rank Collapse for Randomly
Initialised Deep Networks" (Daneshmand et al., NeurIPS 2020).

The package holds the logic; the Snakemake workflow in this repository only wires
files to its functions. Equation and lemma numbers refer to the paper; the formulas
lost in the paper's text copy are restored in ``../shared/spec/FIGURES.md`` §1.
"""
