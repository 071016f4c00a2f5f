import math

import numpy as np
import pytest

from bnrank.chains.random import draw
from bnrank.streams import chain_keys


@pytest.mark.parametrize("law", ["gaussian", "uniform"])
def test_draws_have_zero_mean_and_unit_variance(law):
    x = draw(chain_keys("width_sweep_weights", 0, 2, 9), law, 50, 20_000).ravel()
    assert abs(x.mean()) < 0.005
    assert abs(x.var() - 1) < 0.005
    kurtosis = np.mean(x**4)
    assert kurtosis == pytest.approx(3.0 if law == "gaussian" else 1.8, abs=0.03)
    if law == "uniform":
        assert x.min() >= -math.sqrt(3) and x.max() < math.sqrt(3)


def test_gaussian_quantiles():
    x = np.sort(draw(chain_keys("width_sweep_weights", 1, 1, 9), "gaussian", 1, 400_000).ravel())
    # P(X < 1) = 0.8413, P(X < -2) = 0.02275
    assert np.searchsorted(x, 1.0) / x.size == pytest.approx(0.8413, abs=0.003)
    assert np.searchsorted(x, -2.0) / x.size == pytest.approx(0.02275, abs=0.001)


@pytest.mark.parametrize("n", [7, 8])
def test_a_runs_stream_depends_on_its_key_and_step_only(n):
    keys = chain_keys("width_sweep_weights", 3, 4, 1)
    full = draw(keys, "gaussian", 10, n)
    np.testing.assert_array_equal(full[:3], draw(keys, "gaussian", 3, n))
    np.testing.assert_array_equal(full[5:7], draw(keys, "gaussian", 2, n, first=5))
    np.testing.assert_array_equal(full[:, 2], draw(keys[2:3], "gaussian", 10, n)[:, 0])
    assert len(np.unique(full)) == full.size  # no number repeats across steps


def test_keys_are_stable_and_distinct():
    assert np.array_equal(chain_keys("width_sweep_weights", 5, 3, 2)[:2], chain_keys("width_sweep_weights", 5, 2, 2))
    assert (
        len(
            set(chain_keys("width_sweep_weights", 5, 100, 2))
            | set(chain_keys("width_sweep_weights", 5, 100, 3))
            | set(chain_keys("width_sweep_weights", 6, 100, 2))
        )
        == 300
    )


def test_unknown_law_is_rejected():
    with pytest.raises(ValueError, match="gaussian"):
        draw(chain_keys("depth_sweep_weights", 0, 1), "cauchy", 1, 4)


def test_gaussian_tails_beyond_the_ziggurat():
    x = draw(chain_keys("width_sweep_weights", 2, 1, 9), "gaussian", 1, 4_000_000).ravel()
    # P(|X| > 3.7) = 2.157e-4: these come from the ziggurat's tail algorithm
    assert np.mean(np.abs(x) > 3.7) == pytest.approx(2.157e-4, rel=0.15)
    assert np.mean(x > 3.7) == pytest.approx(np.mean(x < -3.7), rel=0.3)
