import math

import numba
import numpy as np
import pytest
import torch

from bnrank import workflow
from bnrank.activations import ACTIVATIONS
from bnrank.chains.chain import Chain, ChainError, batch_norm, run_chains
from bnrank.chains.random import draw, matrices
from bnrank.rank import rank_notions
from bnrank.streams import chain_keys


def naive_step(W, H, chain, center):
    """One layer of docs/figures.md §1 written out plainly: φ(norm(W H + H/γ))."""
    Z = W @ H + (0 if math.isinf(chain.gamma) else H / chain.gamma)
    if chain.norm == "bn":
        Z = batch_norm(Z, center)
    return ACTIVATIONS[chain.activation](torch.from_numpy(Z)).numpy()  # the registry the kernel copies


CHAINS = [
    Chain("bn", "linear"),
    Chain("bn", "relu", 0.5),
    Chain("none", "linear", 2.0),
    Chain("none", "relu"),
    Chain("bn", "tanh"),
    Chain("none", "tanh", 1.0),
    Chain("bn", "gelu"),
    Chain("bn", "sin", 1.0),
]


@pytest.mark.parametrize("center", [False, True])
@pytest.mark.parametrize("law", ["gaussian", "uniform", "orthogonal"])
def test_engine_matches_a_plain_loop(center, law):
    runs, d, n, steps = 3, 12, 9, 20
    keys = chain_keys("width_sweep_weights", 7, runs, 0)
    x0 = np.random.default_rng(0).standard_normal((runs, d, n))
    weights = matrices(keys, law, steps, d)
    expected = np.repeat(x0[:, None], len(CHAINS), axis=1)
    for layer, H in run_chains(x0, CHAINS, steps, range(steps + 1), keys, law, center):
        if layer:
            for r in range(runs):
                for k, chain in enumerate(CHAINS):
                    expected[r, k] = naive_step(weights[layer - 1, r], expected[r, k], chain, center)
        # unnormalised chains are kept at a power-of-two scale: compare directions
        scale = np.linalg.norm(H, axis=(2, 3), keepdims=True) / np.linalg.norm(expected, axis=(2, 3), keepdims=True)
        np.testing.assert_allclose(H, expected * scale, rtol=1e-9, atol=1e-12)


def test_power_of_two_rescaling_is_exact():
    runs, d, steps = 2, 5, 40
    keys = chain_keys("width_sweep_weights", 1, runs, 0)
    x0 = np.random.default_rng(1).standard_normal((runs, d, d))
    weights = torch.from_numpy(draw(keys, "gaussian", steps, d * d).reshape(steps, runs, d, d))
    expected = torch.from_numpy(x0)
    for w in weights:  # the engine's product, without rescaling
        expected = torch.bmm(w, expected)
    expected = expected.numpy()
    ((_, H),) = run_chains(x0, [Chain("none", "linear")], steps, [steps], keys, "gaussian")
    ratio = H[:, 0] / expected
    exponents = np.log2(ratio)
    assert np.all(exponents == np.round(exponents))  # a power of two, bit for bit
    assert np.all(ratio == ratio[:, :1, :1])


def test_bn_rows_have_unit_mean_square_and_zero_mean_when_centred():
    keys = chain_keys("width_sweep_weights", 2, 4, 0)
    x0 = np.random.default_rng(2).standard_normal((4, 8, 16))
    chains = [Chain("bn", "linear"), Chain("bn", "linear", 0.1)]
    for _, H in run_chains(x0, chains, 50, range(1, 51, 7), keys, "uniform", center=True):
        np.testing.assert_allclose(np.square(H).mean(-1), 1.0, rtol=1e-12)
        np.testing.assert_allclose(H.mean(-1), 0.0, atol=1e-12)


def test_unnormalised_chains_never_overflow():
    keys = chain_keys("width_sweep_weights", 3, 2, 0)
    x0 = np.random.default_rng(3).standard_normal((2, 32, 32))
    ((_, H),) = run_chains(x0, [Chain("none", "linear"), Chain("none", "relu")], 3000, [3000], keys, "uniform")
    assert np.isfinite(H).all()  # 32^1500 would overflow without rescaling
    assert (rank_notions(H)["matrix_rank"] <= 3).all()  # Lemma 3: rank collapse


def test_same_seed_same_bits_and_runs_do_not_depend_on_each_other():
    chains = (Chain("bn", "relu"), Chain("none", "linear"))

    def final(runs, steps):
        keys = chain_keys("width_sweep_weights", 11, runs, 5)
        x0 = np.broadcast_to(np.eye(8), (runs, 8, 8))
        return [H.copy() for _, H in run_chains(x0, list(chains), steps, [10, steps], keys, "gaussian")]

    a, b = final(3, 40), final(3, 40)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    fewer = final(1, 40)
    assert np.array_equal(a[1][:1], fewer[1])  # run 0 is the same whatever the number of runs
    shorter = final(3, 25)
    assert np.array_equal(a[0], shorter[0])  # layer 10 does not depend on how many follow
    threads = (torch.get_num_threads(), numba.get_num_threads())
    try:  # nor on the job's threads (chains.threads): one thread gives the bits of two
        workflow.use_threads(1)
        one = final(3, 40)
    finally:
        torch.set_num_threads(threads[0])
        numba.set_num_threads(threads[1])
    assert all(np.array_equal(x, y) for x, y in zip(a, one, strict=True))


def test_a_dead_chain_stops_with_a_clear_error():
    keys = chain_keys("width_sweep_weights", 0, 1, 0)
    x0 = np.ones((1, 4, 6))
    x0[0, 2] = 0.0  # a zero row: BN divides 0 by 0 at the first layer
    chains = [Chain("bn", "linear", 0.01)]
    x0[0] = np.zeros((4, 6))
    with pytest.raises(ChainError, match=r"fig9: chain bn/linear γ=0.01 at width d=4 .* by layer 1"):
        list(run_chains(x0, chains, 5, [1, 5], keys, "gaussian", label="fig9"))


def test_chain_rejects_bad_settings():
    with pytest.raises(ValueError, match="activation"):
        Chain("bn", "sigmoid")
    with pytest.raises(ValueError, match="gamma"):
        Chain("bn", "linear", 0.0)
    with pytest.raises(ValueError, match="norm"):
        Chain("layer", "linear")
