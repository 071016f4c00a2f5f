"""Counter-based random numbers for the chains: deterministic whatever the threads.

Number i of step t of run r is a function of (key_r, counter) alone, with counter =
t·n + i: SplitMix64's output function applied to the Weyl sequence key_r + counter·φ
(φ = 2⁶⁴/golden ratio), the generator of Steele, Lea & Flood (2014), which passes
BigCrush. So a run's numbers do not depend on how many runs, chunks or threads draw
them, and the weights of the first ℓ layers do not depend on how many layers follow.
Gaussians come from the 256-layer ziggurat of Marsaglia & Tsang (2000), with NumPy's
52-bit layout; its rare rejections draw from a second stream keyed by the counter.
"""

from __future__ import annotations

import math
import typing

import numba
import numpy as np

from bnrank.settings import WeightLaw

LAWS = typing.get_args(WeightLaw)
ELEMENTWISE = ("gaussian", "uniform")  # the laws ``draw`` makes number by number

_PHI = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_SALT = np.uint64(0xD1B54A32D192ED03)  # keys the rejection stream
_S1, _S8, _S9, _S11, _S27, _S30, _S31 = (np.uint64(s) for s in (1, 8, 9, 11, 27, 30, 31))
_BYTE = np.uint64(0xFF)
_MANTISSA = np.uint64(0x000FFFFFFFFFFFFF)
_RETRIES = np.uint64(64)  # rejection-stream counters per number
_ULP = 2.0**-53
_SQRT3 = math.sqrt(3.0)
_ZIG_R = 3.6541528853610088  # start of the ziggurat's tail


def _ziggurat_tables(layers: int = 256, area: float = 0.00492867323399) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Marsaglia & Tsang's tables for the standard normal, for 52-bit uniforms."""
    scale = 2.0**52
    ki, wi, fi = np.zeros(layers, np.uint64), np.zeros(layers), np.zeros(layers)
    dn = tn = _ZIG_R
    q = area / math.exp(-0.5 * dn * dn)
    ki[0], wi[0], fi[0] = int(dn / q * scale), q / scale, 1.0
    wi[-1], fi[-1] = dn / scale, math.exp(-0.5 * dn * dn)
    for i in range(layers - 2, 0, -1):
        dn = math.sqrt(-2.0 * math.log(area / dn + math.exp(-0.5 * dn * dn)))
        ki[i + 1] = int(dn / tn * scale)
        tn = dn
        fi[i], wi[i] = math.exp(-0.5 * dn * dn), dn / scale
    return ki, wi, fi


_KI, _WI, _FI = _ziggurat_tables()


@numba.njit(inline="always")
def _bits(key, counter):  # pragma: no cover - compiled
    z = key + counter * _PHI
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@numba.njit(inline="always")
def _unit(bits):  # pragma: no cover - compiled
    """Uniform in [0, 1) from the top 53 bits."""
    return (bits >> _S11) * _ULP


@numba.njit(inline="always")
def _normal(key, counter, ki, wi, fi):  # pragma: no cover - compiled
    """Standard normal number ``counter`` of stream ``key`` (NumPy's ziggurat step)."""
    bits = _bits(key, counter)
    spare = key ^ _SALT
    base = counter * _RETRIES
    j = np.uint64(0)
    while True:
        layer = bits & _BYTE
        bits >>= _S8
        magnitude = (bits >> _S1) & _MANTISSA
        x = magnitude * wi[layer]
        if bits & _S1:
            x = -x
        if magnitude < ki[layer]:
            return x  # about 99% of draws end here
        if layer == 0:  # the tail beyond R
            while True:
                j += _S1
                xx = -math.log1p(-_unit(_bits(spare, base + j))) / _ZIG_R
                j += _S1
                yy = -math.log1p(-_unit(_bits(spare, base + j)))
                if yy + yy > xx * xx:
                    return -(_ZIG_R + xx) if (magnitude >> _S8) & _S1 else _ZIG_R + xx
        j += _S1
        if (fi[layer - 1] - fi[layer]) * _unit(_bits(spare, base + j)) + fi[layer] < math.exp(-0.5 * x * x):
            return x
        j += _S1
        bits = _bits(spare, base + j)


@numba.njit(parallel=True, cache=True)
def _fill(out, keys, first, gaussian, ki, wi, fi):  # pragma: no cover - compiled
    """out (T, R, n): row (t, r) holds numbers (first + t)·n ... of run r's stream."""
    steps, runs, n = out.shape
    for row in numba.prange(steps * runs):
        t = row // runs
        r = row - t * runs
        key = keys[r]
        base = np.uint64((first + t) * n)
        for i in range(n):
            c = base + np.uint64(i)
            if gaussian:
                out[t, r, i] = _normal(key, c, ki, wi, fi)
            else:  # U[-√3, √3): zero mean, unit variance
                out[t, r, i] = _SQRT3 * (2.0 * _unit(_bits(key, c)) - 1.0)


def draw(keys: np.ndarray, law: str, steps: int, n: int, first: int = 0, out: np.ndarray | None = None) -> np.ndarray:
    """(steps, R, n) i.i.d. zero-mean, unit-variance numbers (Def. 1), n per step: for
    run r, row t holds step ``first + t`` of the run's stream, whatever ``steps`` is."""
    if law not in ELEMENTWISE:
        raise ValueError(f"an entry's law must be one of {ELEMENTWISE}, got {law!r}")
    out = np.empty((steps, len(keys), n)) if out is None else out
    _fill(out, keys, first, law == "gaussian", _KI, _WI, _FI)
    return out


def matrices(
    keys: np.ndarray, law: str, steps: int, d: int, first: int = 0, out: np.ndarray | None = None
) -> np.ndarray:
    """(steps, R, d, d) weight matrices, step ``first + t`` of run r's stream in row (t, r):
    i.i.d. entries of ``law``, or for ``orthogonal`` the Haar-distributed Q of the QR of
    the Gaussian matrix (signs fixed by R's diagonal, Mezzadri 2007) times √d, so that its
    entries too have unit variance."""
    if law not in LAWS:
        raise ValueError(f"weight law must be one of {LAWS}, got {law!r}")
    flat = draw(keys, "gaussian" if law == "orthogonal" else law, steps, d * d, first, out)
    w = flat.reshape(steps, len(keys), d, d)
    if law == "orthogonal":
        q, r = np.linalg.qr(w)
        w[...] = q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :] * np.sqrt(d)
    return w
