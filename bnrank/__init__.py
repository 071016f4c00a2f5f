"""bnrank: reproduce "Batch Normalization Provably Avoids Rank Collapse for Randomly
Initialised Deep Networks" (Daneshmand et al., NeurIPS 2020).

The package holds the logic; the Snakemake workflow in this repository only wires
files to its functions. Two halves share the modules beside them:

- ``bnrank.chains``: the random-matrix chains of the theory (Figs 2, 3, 8, 9);
- ``bnrank.nets``: data, networks, initialisation, rank pretraining, training and
  measurement (MLPs: Figs 1, 4, 6, 11, 12; CNNs: Figs 5, 7, 10, 13);
- shared: ``figures`` (the registry of figures), ``settings`` (the config as typed
  objects), ``paths`` (where every artefact lives), ``rank`` (rank notions),
  ``tables``, ``claims``, ``plots``, ``config`` (checks), ``workflow`` (job helpers),
  ``runs`` (the Snakefile's bookkeeping) and ``results_page`` (docs/results.md).

Equation and lemma numbers refer to the paper; the formulas lost in its text copy
are restored in docs/figures.md.
"""
