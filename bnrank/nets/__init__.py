"""The network experiments (Figs 1, 4, 6, 11, 12): data sets (``data``), initial
weights (``init``), batched MLPs (``mlp``), rank pretraining (``pretrain``), batched
SGD (``train``), rank measurement (``measure``) and one function per workflow stage
(``experiments``)."""
