"""The deep-chain engine of the figures beyond the paper (bnrank.chains.deep), its weight
laws and the mean-field quantities it is compared with (bnrank.chains.mean_field)."""

import math

import numpy as np
import pytest
import torch

from bnrank.chains.chain import ChainError
from bnrank.chains.deep import NORMALISATIONS, Layer, gradient_norms, propagate, weights
from bnrank.chains.mean_field import (
    bn_linear_gradient_rate,
    bn_relu_gradient_rate_limit,
    gaussian_expectation,
    nonlinearity_strength,
)
from bnrank.chains.random import matrices
from bnrank.streams import chain_keys

KEYS = chain_keys("depth_sweep_weights", 3, 2)


def inputs(d=16, n=5, runs=2, seed=0):
    return torch.from_numpy(np.random.default_rng(seed).standard_normal((runs, d, n)))


def test_orthogonal_weights_are_orthogonal_and_a_layer_does_not_depend_on_the_depth():
    w = matrices(KEYS, "orthogonal", 3, 8)
    np.testing.assert_allclose(w @ w.swapaxes(-1, -2), np.broadcast_to(8 * np.eye(8), w.shape), atol=1e-12)
    deep = torch.stack(list(weights(KEYS, "orthogonal", 8, 5, torch.float64)))
    shallow = torch.stack(list(weights(KEYS, "orthogonal", 8, 2, torch.float64)))
    assert torch.equal(deep[:2], shallow)
    assert torch.allclose(deep[0], torch.from_numpy(w[0]) / math.sqrt(8))


@pytest.mark.parametrize("norm", list(NORMALISATIONS))
def test_each_normalisation_standardises_its_axis(norm):
    h = NORMALISATIONS[norm](inputs() * 3 + 1)
    axis = {"bn": -1, "bn_uncentred": -1, "ln": -2, "rms": -2}.get(norm)
    if axis is None:
        assert torch.equal(h, inputs() * 3 + 1)
        return
    assert torch.allclose(h.square().mean(axis), torch.ones(()).double()) if norm in ("bn_uncentred", "rms") else True
    if norm in ("bn", "ln"):
        assert torch.allclose(h.mean(axis), torch.zeros(()).double(), atol=1e-12)
        assert torch.allclose(h.var(axis, unbiased=False), torch.ones(()).double())
    else:
        assert not torch.allclose(h.mean(axis), torch.zeros(()).double(), atol=1e-3)


def test_chains_that_share_weights_are_each_the_chain_alone_and_follow_the_layer_formula():
    x0 = inputs()
    layers = [Layer("ln", "gelu"), Layer("bn", "sin", order="linear_norm_act"), Layer("none", "relu")]
    together = dict(propagate(x0, layers, 4, KEYS, [0, 2, 4]))
    assert sorted(together) == [0, 2, 4] and together[4].shape == (2, 3, 16, 5)
    for k, layer in enumerate(layers):
        alone = dict(propagate(x0, [layer], 4, KEYS, [4]))[4][:, 0]
        assert torch.equal(alone, together[4][:, k])
    h = x0
    for w in weights(KEYS, "gaussian", 16, 4, torch.float64):
        h = torch.nn.functional.layer_norm(torch.nn.functional.gelu(w @ h).transpose(1, 2), (16,), eps=0)
        h = h.transpose(1, 2)
    assert torch.allclose(together[4][:, 0], h, atol=1e-10)
    # the unnormalised ReLU chain is rescaled, its direction kept
    plain = x0
    for w in weights(KEYS, "gaussian", 16, 4, torch.float64):
        plain = torch.relu(w @ plain)

    def unit(h):
        return h / h.norm(dim=(-2, -1), keepdim=True)  # each run's own scale

    assert torch.allclose(unit(together[4][:, 2]), unit(plain), atol=1e-12)


def test_gradient_norms_are_those_of_the_product_of_the_transposed_weights():
    """Linear, unnormalised: ∂L/∂H_ℓ = W_{ℓ+1}ᵀ … W_Lᵀ · readout exactly."""
    x0, readout = inputs(d=6, n=3), inputs(d=6, n=3, seed=1)
    norms = gradient_norms(x0, Layer("none", "linear"), 3, KEYS, readout)
    ws = list(weights(KEYS, "gaussian", 6, 3, torch.float64))
    g = readout
    expected = [g.square().sum((-2, -1))]
    for w in reversed(ws):
        g = w.transpose(1, 2) @ g
        expected.append(g.square().sum((-2, -1)))
    assert torch.allclose(norms, torch.stack(expected[::-1], dim=1))


def test_a_chain_that_breaks_stops_with_a_clear_error():
    x0 = torch.ones(2, 8, 4, dtype=torch.float64)
    x0[:, 0, 0] = math.inf  # an infinite input: W x0 holds ±inf, and BN's centring inf − inf
    with pytest.raises(ChainError, match=r"fig99: chain bn/linear/gaussian at width d=8 .* by layer 1"):
        list(propagate(x0, [Layer("bn", "linear")], 2, KEYS, [1, 2], label="fig99"))
    with pytest.raises(ValueError, match="norm must be one of"):
        Layer("batch", "relu")
    with pytest.raises(ValueError, match="share their weights"):
        list(propagate(x0, [Layer("ln", "relu"), Layer("ln", "relu", "orthogonal")], 1, KEYS, [1]))


def test_the_mean_field_quantities_agree_with_closed_forms():
    assert gaussian_expectation(lambda z: z**4) == pytest.approx(3, rel=1e-12)
    assert nonlinearity_strength("linear") == pytest.approx(1, rel=1e-12)
    assert nonlinearity_strength("relu") == pytest.approx(0.25 / (0.5 - 1 / (2 * math.pi)), rel=1e-12)
    assert nonlinearity_strength("sin") == pytest.approx(math.exp(-1) / ((1 - math.exp(-2)) / 2), rel=1e-12)
    assert 0 < nonlinearity_strength("gelu") < nonlinearity_strength("tanh") < 1
    assert bn_linear_gradient_rate(8) == pytest.approx(1.2) and bn_relu_gradient_rate_limit() > 1
    with pytest.raises(ValueError, match="more than 3"):
        bn_linear_gradient_rate(3)


def test_one_more_activation_is_one_function(monkeypatch):
    """The README's recipe: an entry of ``ACTIVATIONS`` is all the engine, the quadrature and
    the isometry chains need (the config's enum and ``Activation`` only name it)."""
    from bnrank.activations import ACTIVATIONS
    from bnrank.chains.isometry import isometry
    from bnrank.chains.mean_field import hermite_constants
    from bnrank.settings import Isometry

    monkeypatch.setitem(ACTIVATIONS, "softplus", torch.nn.functional.softplus)
    constants = hermite_constants("softplus")
    assert 0 < constants["beta"] < 1 and constants["gaussian_mean"] > 0  # non-linear, not centred
    settings = Isometry(
        width=32,
        samples=3,
        layers=4,
        runs=2,
        noise=1.0,
        norms=("ln", "rms"),
        activations=("softplus",),
        weights="gaussian",
    )
    table = isometry(settings, seed=0, dtype="float64")
    assert set(table["activation"]) == {"softplus"} and table["neg_log_isometry"].notna().all()
