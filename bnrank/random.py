"""Counter-based random numbers for the chains: deterministic whatever the threads.

Entry e of run r is a function of (key_r, e) alone: SplitMix64's output function
applied to the Weyl sequence key_r + e·φ (φ = 2⁶⁴/golden ratio), the generator of
Steele, Lea & Flood (2014), which passes BigCrush. So a run's numbers do not depend on
how many runs, chunks or threads draw them, and the weights of the first ℓ layers do
not depend on how many layers follow. Gaussians come from the Box–Muller transform.
"""

from __future__ import annotations

import math

import numba
import numpy as np

LAWS = ("gaussian", "uniform")

_PHI = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S11, _S27, _S30, _S31 = (np.uint64(s) for s in (11, 27, 30, 31))
_ONE = np.uint64(1)
_ULP = 2.0**-53
_SQRT3 = math.sqrt(3.0)


@numba.njit(inline="always")
def _bits(key, counter):  # pragma: no cover - compiled
    z = key + counter * _PHI
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@numba.njit(parallel=True, cache=True)
def _fill(out, keys, first, gaussian):  # pragma: no cover - compiled
    """out (T, R, n): row (t, r) is step first + t of run r's stream, two counters per pair."""
    steps, runs, n = out.shape
    pairs = (n + 1) // 2
    for row in numba.prange(steps * runs):
        t = row // runs
        r = row - t * runs
        key = keys[r]
        base = np.uint64(2 * (first + t) * pairs)
        for p in range(n // 2):
            c = base + np.uint64(2 * p)
            u = (_bits(key, c) >> _S11) * _ULP
            v = (_bits(key, c + _ONE) >> _S11) * _ULP
            if gaussian:  # Box–Muller on (1 - u) ∈ (0, 1] and v
                radius = math.sqrt(-2.0 * math.log(1.0 - u))
                out[t, r, 2 * p] = radius * math.cos(2.0 * math.pi * v)
                out[t, r, 2 * p + 1] = radius * math.sin(2.0 * math.pi * v)
            else:  # U[-√3, √3): zero mean, unit variance
                out[t, r, 2 * p] = _SQRT3 * (2.0 * u - 1.0)
                out[t, r, 2 * p + 1] = _SQRT3 * (2.0 * v - 1.0)
        if n % 2:  # the last pair has one member
            u = (_bits(key, base + np.uint64(n - 1)) >> _S11) * _ULP
            v = (_bits(key, base + np.uint64(n)) >> _S11) * _ULP
            if gaussian:
                out[t, r, n - 1] = math.sqrt(-2.0 * math.log(1.0 - u)) * math.cos(2.0 * math.pi * v)
            else:
                out[t, r, n - 1] = _SQRT3 * (2.0 * u - 1.0)


def run_keys(seed: int, runs: int, *stream: int) -> np.ndarray:
    """One 64-bit key per run; run r's key depends on (seed, stream, r) only."""
    root = np.random.SeedSequence(seed, spawn_key=stream)
    return np.array([s.generate_state(1, np.uint64)[0] for s in root.spawn(runs)], dtype=np.uint64)


def draw(keys: np.ndarray, law: str, steps: int, n: int, first: int = 0, out: np.ndarray | None = None) -> np.ndarray:
    """(steps, R, n) i.i.d. zero-mean, unit-variance numbers (Def. 1), n per step: for
    run r, row t holds step ``first + t`` of the run's stream, whatever ``steps`` is."""
    if law not in LAWS:
        raise ValueError(f"weight law must be one of {LAWS}, got {law!r}")
    out = np.empty((steps, len(keys), n)) if out is None else out
    _fill(out, keys, first, law == "gaussian")
    return out
