"""The random-matrix chains of the theory (Figs 2, 3, 8, 9): counter-based random
weights (``random``), the batched chain engine (``chain``), the quantities of the
proofs (``theory``) and the simulations the figures read (``simulate``)."""
