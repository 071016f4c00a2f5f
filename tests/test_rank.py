import numpy as np
import pytest
import torch

from bnrank import rank
from bnrank.rank import eigenvalues, notion_column, rank_notions, second_moment


def with_spectrum(lam, n):
    """A d×n matrix whose M = HHᵀ/n has eigenvalues ``lam`` (random orthogonal frames)."""
    rng = np.random.default_rng(0)
    d = len(lam)
    u = np.linalg.qr(rng.standard_normal((d, d)))[0]
    v = np.linalg.qr(rng.standard_normal((n, n)))[0][:d]
    return u @ np.diag(np.sqrt(np.asarray(lam, float) * n)) @ v


def test_identity_has_full_rank_in_every_notion():
    notions = rank_notions(np.eye(6) * 3.0, taus=(0.5,))
    assert notions["matrix_rank"] == 6
    assert notions["lower_bound"] == pytest.approx(6)
    assert notions["soft_rank_0.5"] == 6
    assert notions["eig_count"] == 6


def test_rank_one_matrix_has_rank_one_in_every_notion():
    x = np.arange(1.0, 6.0)
    notions = rank_notions(np.outer(x, np.ones(7)), taus=(0.5,))
    assert notions["matrix_rank"] == 1
    assert notions["lower_bound"] == pytest.approx(1)
    assert notions["soft_rank_0.5"] == 1
    assert notions["eig_count"] == 1


def test_notions_on_a_known_spectrum():
    # eigenvalues 4, 2, 1, 1, 1e-12, 0, 0, 0: mean tr(M)/d = 8/8 = 1
    H = with_spectrum([4, 2, 1, 1, 1e-12, 0, 0, 0], n=10)
    notions = rank_notions(H, taus=(0.5, 0.25, 0.9))
    assert notions["soft_rank_0.5"] == 4
    assert notions["soft_rank_0.9"] == 4  # λ ≥ 0.9·mean
    assert notions["eig_count"] == 4  # 1e-12 < 1e-9·mean
    assert notions["lower_bound"] == pytest.approx(64 / 22)
    assert notions["matrix_rank"] == 5  # 1e-12 is far above the float64 tolerance
    np.testing.assert_allclose(eigenvalues(H)[:4], [4, 2, 1, 1], rtol=1e-9)


def test_matrix_rank_matches_numpy_and_torch_defaults():
    rng = np.random.default_rng(1)
    for k in range(1, 8):
        H = rng.standard_normal((8, k)) @ rng.standard_normal((k, 12))
        H[:, 0] += 1e-14 * rng.standard_normal(8)  # noise near the tolerance
        mine = rank_notions(H)["matrix_rank"]
        assert mine == np.linalg.matrix_rank(H) == torch.linalg.matrix_rank(torch.from_numpy(H)).item()


def test_lemma1_bounds_hold_on_random_matrices():
    rng = np.random.default_rng(2)
    H = rng.standard_normal((200, 16, 20)) * rng.exponential(size=(200, 16, 1)) ** 3
    taus = (0.1, 0.5, 0.9)
    notions = rank_notions(H, taus=taus)
    assert (notions["matrix_rank"] >= notions["lower_bound"] - 1e-9).all()
    for tau in taus:  # rank_τ ≥ (1−τ)² r(H)
        assert (notions[f"soft_rank_{tau:g}"] >= (1 - tau) ** 2 * notions["lower_bound"] - 1e-9).all()


def test_batches_and_second_moment():
    rng = np.random.default_rng(3)
    H = rng.standard_normal((3, 2, 5, 7))
    batched = rank_notions(H)["lower_bound"]
    assert batched.shape == (3, 2)
    m = second_moment(H[1, 0])
    assert batched[1, 0] == pytest.approx(np.trace(m) ** 2 / np.square(m).sum())


def test_notion_column_rejects_unknown_notions():
    assert notion_column("soft_rank", 0.5) == "soft_rank_0.5"
    with pytest.raises(ValueError, match="allowed"):
        notion_column("nuclear")
    with pytest.raises(ValueError, match="tau"):
        notion_column("soft_rank")


def test_a_diverged_network_has_no_rank():
    """A stack with one NaN matrix (a diverged model) measures the others and NaN for it."""
    H = np.stack([np.eye(4), np.full((4, 4), np.nan), np.ones((4, 4))])
    notions = rank_notions(H)
    assert notions["matrix_rank"].tolist()[0] == 4 and notions["matrix_rank"].tolist()[2] == 1
    assert all(np.isnan(v[1]) for v in notions.values())


def test_float32_notions_come_from_the_float64_gram_and_agree_with_the_svd():
    """A float32 H (a network's) is measured from its float64 Gram matrix: the same notions
    as a float64 SVD of the same entries, matrix_rank with float32's tolerance."""
    rng = np.random.default_rng(5)
    for d, n in ((16, 24), (24, 16)):  # the smaller Gram side either way
        low = rng.standard_normal((40, d, 3)) @ rng.standard_normal((40, 3, n))
        scale = np.abs(low).max()
        H = (low + scale * 1e-3 * rng.standard_normal((40, d, n)) * (rng.random((40, 1, 1)) < 0.5)).astype(np.float32)
        gram = rank_notions(H)
        svd = rank_notions(H.astype(np.float64))
        np.testing.assert_allclose(gram["lower_bound"], svd["lower_bound"], rtol=1e-9)
        np.testing.assert_array_equal(gram["soft_rank_0.5"], svd["soft_rank_0.5"])
        # noise of 1e-3 is far above float32's tolerance, none is far below it: either way no rank is near it
        expected = np.linalg.matrix_rank(H)
        np.testing.assert_array_equal(gram["matrix_rank"], expected)
        assert set(expected.tolist()) == {3, min(d, n)}


def reference_notions(H: np.ndarray, taus) -> dict[str, np.ndarray]:
    """The notions by their definitions in NumPy: one float64 SVD, H's tolerance, NaN for a non-finite H."""
    d, n = H.shape[-2:]
    finite = np.isfinite(H).all((-2, -1))
    sv = np.linalg.svd(np.where(finite[..., None, None], H, 0).astype(np.float64), compute_uv=False)
    lam = sv**2 / n
    trace = lam.sum(-1)
    mean = trace[..., None] / d
    with np.errstate(invalid="ignore"):
        notions = {
            "matrix_rank": (sv > sv[..., :1] * max(d, n) * np.finfo(H.dtype).eps).sum(-1),
            "lower_bound": trace**2 / (lam**2).sum(-1),
            "eig_count": (lam > 1e-9 * mean).sum(-1),
        }
    notions |= {notion_column("soft_rank", t): (lam >= t * mean).sum(-1) for t in taus}
    return {k: np.where(finite, v, np.nan) for k, v in notions.items()}


def low_rank_batch(dtype, d: int, n: int, seed: int) -> np.ndarray:
    """(2, 6, d, n): random ranks 1..min(d, n), one model with a NaN, one with an -inf, one all zero."""
    rng = np.random.default_rng(seed)
    H = np.stack([rng.standard_normal((d, k)) @ rng.standard_normal((k, n)) for k in rng.integers(1, min(d, n), 12)])
    H[4, 0, 0], H[9, 1, 2], H[7] = np.nan, -np.inf, 0.0
    return H.reshape(2, 6, d, n).astype(dtype)


def assert_same_notions(mine: dict, expected: dict) -> None:
    """Counts identical (NaN where expected), lower_bound within 1e-6 relative."""
    assert list(mine) == list(expected)
    for k, v in mine.items():
        v = v.cpu().numpy() if isinstance(v, torch.Tensor) else v
        if k == "lower_bound":
            np.testing.assert_allclose(v, expected[k], rtol=1e-6)
        else:
            np.testing.assert_array_equal(v, expected[k])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("d", "n"), [(16, 24), (24, 16)])
def test_torch_notions_equal_the_numpy_ones(dtype, d, n):
    """A Tensor H gets Tensors of the same notions as the NumPy H gets NumPy, both by the definitions."""
    H = low_rank_batch(dtype, d, n, seed=d)
    taus = (0.1, 0.5)
    host, tensor = rank_notions(H, taus), rank_notions(torch.from_numpy(H), taus)
    assert all(isinstance(v, np.ndarray) and v.shape == (2, 6) for v in host.values())
    assert all(isinstance(v, torch.Tensor) and v.shape == (2, 6) for v in tensor.values())
    assert_same_notions(tensor, host)
    assert_same_notions(host, reference_notions(H, taus))
    assert np.isnan(host["lower_bound"][1, 1]) and host["matrix_rank"][1, 1] == 0  # the all-zero model
    assert all(np.isnan(v[0, 4]) and np.isnan(v[1, 3]) and not np.isnan(v[1, 2]) for v in host.values())


def test_finite_tensors_keep_integer_counts():
    H = torch.from_numpy(low_rank_batch(np.float32, 8, 10, seed=0)[0, :3])
    notions = rank_notions(H)
    assert notions["matrix_rank"].dtype == torch.int64 and notions["lower_bound"].dtype == torch.float64
    assert eigenvalues(H).shape == (3, 8) and torch.equal(second_moment(H), H @ H.mT / 10)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("solver", ["gram", "svd", "gesvd", "gesvdj"])
def test_cuda_notions_equal_the_cpu_ones(solver, monkeypatch):
    monkeypatch.setitem(rank.SOLVER, "cuda", solver)
    for dtype in (np.float32, np.float64):
        H = torch.from_numpy(low_rank_batch(dtype, 128, 128, seed=1))
        on_gpu = rank_notions(H.cuda(), (0.5,))
        assert all(v.is_cuda for v in on_gpu.values())
        assert_same_notions(on_gpu, {k: v.numpy() for k, v in rank_notions(H, (0.5,)).items()})
