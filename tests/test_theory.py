import numpy as np
import pytest

from bnrank.chains.chain import batch_norm
from bnrank.chains.random import draw
from bnrank.chains.theory import (
    alpha_drift,
    alpha_standard_error,
    ergodic_average,
    lemma7_drift,
    lemma13_bound,
    moments,
    regularity_constant,
)
from bnrank.rank import eigenvalues, second_moment
from bnrank.streams import chain_keys


def test_lemma7_expected_drift_by_monte_carlo():
    """E‖M'‖² − ‖M‖² = 2γ²(d² − ‖M‖² + 4Σ((M²)_ii)² − 4tr(M³)) + O(γ³), M' after one BN layer."""
    d, n, samples, gamma = 8, 8, 200_000, 0.02
    H = batch_norm(np.random.default_rng(0).standard_normal((d, n)))
    M = second_moment(H)
    W = draw(chain_keys("width_sweep_weights", 0, 1, 0), "gaussian", samples, d * d)[:, 0].reshape(samples, d, d)
    frob2 = [np.square(second_moment(batch_norm(H + gamma * s * W @ H))).sum((-2, -1)) for s in (1, -1)]
    change = (frob2[0] + frob2[1]) / 2 - np.square(M).sum()  # antithetic pairs cancel odd orders
    mean, err = change.mean(), change.std() / np.sqrt(samples)
    predicted = lemma7_drift(M, gamma)
    assert err < 0.005 * predicted
    assert mean == pytest.approx(predicted, rel=0.01)


def test_moments_agree_with_the_spectrum():
    H = np.random.default_rng(1).standard_normal((3, 6, 9))
    lam = eigenvalues(H)
    m = moments(H)
    np.testing.assert_allclose(m["frob2"], np.square(lam).sum(-1))
    np.testing.assert_allclose(m["tr_m3"], (lam**3).sum(-1))
    M = second_moment(H)
    np.testing.assert_allclose(m["diag_sq"], (np.square(M).sum(-1) ** 2).sum(-1))


def test_regularity_constant_is_one_when_eigenvalues_are_equal():
    # Example 11: equal non-zero eigenvalues give α = 1: M = I, and the rank-one M = 11ᵀ
    for H in (np.sqrt(5) * np.eye(5), np.ones((5, 1))):
        m = moments(H)
        assert regularity_constant(m["diag_sq"], m["tr_m3"]) == pytest.approx(1.0)
    # batch-normalised Gaussian representations spread their eigenvalues: α < 1
    m = moments(batch_norm(np.random.default_rng(2).standard_normal((2000, 16, 16))))
    assert regularity_constant(m["diag_sq"].mean(), m["tr_m3"].mean()) < 0.9


def test_lemma13_bound_solves_its_equation():
    alpha, d = np.array([0.5, 0.85, 0.99]), np.array([8.0, 64.0, 256.0])
    x = lemma13_bound(alpha, d)
    np.testing.assert_allclose((4 * (1 - alpha) * x**2 / d + x) / d**2, 1.0, rtol=1e-12)
    assert np.all(x > 0)
    assert lemma13_bound(1.0, 10.0) == np.inf


def test_ergodic_average():
    np.testing.assert_allclose(ergodic_average(np.array([[2.0, 4.0, 6.0]])), [[2.0, 3.0, 4.0]])


def test_alpha_standard_error_by_batch_means():
    """Independent samples: the batch-means error of α is the delta-method error of the ratio
    of means; a constant chain has none; too few samples for the batches is an error."""
    rng = np.random.default_rng(0)
    diag_sq, tr_m3 = 10 + rng.standard_normal(20000), np.full(20000, 20.0)
    se = alpha_standard_error(diag_sq, tr_m3)
    assert 0.5 * (1 / 20 / np.sqrt(20000)) < se < 2 * (1 / 20 / np.sqrt(20000))
    assert alpha_standard_error(np.full(100, 10.0), np.full(100, 20.0)) == 0.0
    with pytest.raises(ValueError, match="too few"):
        alpha_standard_error(np.ones(30), np.ones(30))


def test_alpha_drift_sees_a_trend_the_standard_error_does_not():
    """A chain whose diag_sq rises steadily: α of its second half exceeds its first half's by
    the rise; a stationary one drifts by no more than its noise; one sample has no halves."""
    rising = np.linspace(9.0, 11.0, 1000)
    assert alpha_drift(rising, np.full(1000, 20.0)) == pytest.approx(0.05, rel=1e-2)
    rng = np.random.default_rng(1)
    assert abs(alpha_drift(10 + 0.1 * rng.standard_normal(4000), np.full(4000, 20.0))) < 0.001
    with pytest.raises(ValueError, match="halves"):
        alpha_drift(np.ones(1), np.ones(1))
