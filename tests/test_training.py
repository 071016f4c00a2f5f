import dataclasses
import math
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import torch

from bnrank import tables
from bnrank.nets import data, experiments, init, mlp, pretrain, train
from bnrank.nets.checkpoints import Checkpoint
from bnrank.nets.measure import layer_ranks
from bnrank.settings import Measurement, Pretraining, RankNotions, Training
from bnrank.streams import RunSeed, torch_generator

ARCH = init.Architecture(inputs=3072, width=16, depth=3, norm="bn")


@pytest.fixture(scope="module")
def tiny():
    d = data.synthetic_cifar10(0, 512, 128)
    return train.Split(d.train_x, d.train_y), train.Split(d.test_x, d.test_y)


def random_split(samples: int, features: int, seed: int, low: int = 0) -> train.Split:
    """Random uint8 pixels in [low, 256) and random labels of 10 classes."""
    gen = torch.Generator().manual_seed(seed)
    pixels = torch.randint(low, 256, (samples, features), generator=gen, dtype=torch.uint8)
    return train.Split(pixels, torch.randint(0, 10, (samples,), generator=gen))


def test_init_schemes_have_their_laws():
    arch = init.Architecture(400, 300, 2)
    p = init.init_params(arch, "pytorch", RunSeed(1, 0), "x")
    a = 1 / math.sqrt(400)
    assert np.abs(p["W0"]).max() <= a and abs(p["W0"].mean()) < 0.01 * a
    q = init.init_params(arch, "asymmetric", RunSeed(1, 0), "x")
    assert q["W0"].min() >= 0 and q["W0"].mean() == pytest.approx(a, rel=0.02)
    assert q["W0"].var() == pytest.approx(p["W0"].var(), rel=0.02)  # same variance a²/3
    x = init.init_params(arch, "xavier_normal", RunSeed(1, 0), "x")
    assert x["W0"].std() == pytest.approx(math.sqrt(2 / 700), rel=0.02)
    again = init.init_params(arch, "pytorch", RunSeed(1, 0), "x")
    assert all(np.array_equal(p[k], again[k]) for k in p)  # same seed, same weights
    other = init.init_params(arch, "pytorch", RunSeed(1, 1), "x")
    assert not np.array_equal(p["W0"], other["W0"])
    with pytest.raises(ValueError, match="allowed: pytorch"):
        init.init_params(arch, "orthogonal", RunSeed(1, 0), "x")
    with pytest.raises(ValueError, match="depth"):
        init.Architecture(10, 10, 0)


def test_batched_bn_matches_torch_batchnorm():
    arch = init.Architecture(inputs=20, width=12, depth=2, norm="bn")
    params = mlp.stack([init.init_params(arch, "pytorch", RunSeed(0, s), "x") for s in range(3)])
    x = torch.randn(3, 64, 20)
    logits, hidden = mlp.forward(arch, params, x, train=True, update_stats=True)
    for m in range(3):
        layers = []
        for l in range(arch.depth):
            linear = torch.nn.Linear(*arch.linear_shapes()[l][::-1])
            linear.weight.data, linear.bias.data = params[f"W{l}"][m], params[f"b{l}"][m]
            layers += [linear, torch.nn.BatchNorm1d(arch.width), torch.nn.ReLU()]
        out = torch.nn.Linear(arch.width, 10)
        out.weight.data, out.bias.data = params[f"out_W{arch.depth}"][m], params[f"out_b{arch.depth}"][m]
        net = torch.nn.Sequential(*layers, out).train()
        torch.testing.assert_close(net(x[m]), logits[m], rtol=1e-4, atol=1e-5)
        bn = layers[1]
        torch.testing.assert_close(bn.running_mean, params["bn_mean0"][m])
        torch.testing.assert_close(bn.running_var, params["bn_var0"][m])
        net.eval()
        evaluated, _ = mlp.forward(arch, params, x, train=False)
        torch.testing.assert_close(net(x[m]), evaluated[m], rtol=1e-4, atol=1e-5)


def one_thread(run, *args, **kwargs):
    """``run(*args, **kwargs)`` on one thread, as a training job runs (training.threads):
    results are bit for bit there."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return run(*args, **kwargs)
    finally:
        torch.set_num_threads(threads)


PACKED_DEPTHS = (5, 3, 3, 1)  # deepest first, two models of one depth


def packed_starts(norm: str = "bn") -> list[dict[str, np.ndarray]]:
    archs = [dataclasses.replace(ARCH, depth=d, norm=norm) for d in PACKED_DEPTHS]
    return [init.init_params(a, "pytorch", RunSeed(0, m), "x") for m, a in enumerate(archs)]


def test_a_stack_of_depths_computes_what_each_model_computes_alone():
    """Depth packing: models of depths 5, 3, 3 and 1 in one stack give each model's logits and
    hidden layers as it gives alone (layer ℓ holds the models deeper than ℓ), and the stack
    unpacks to the models it was made of."""
    starts = packed_starts()
    params = mlp.stack(starts)
    assert mlp.depths(params) == list(PACKED_DEPTHS)
    assert params["W4"].shape[0] == 1 and params["W1"].shape[0] == 3 and params["out_W3"].shape[0] == 2
    held = mlp.rows(params)
    assert held["out_W3"] == slice(1, 3) and held["W2"] == slice(0, 3) and held["out_W5"] == slice(0, 1)
    x = torch.randn(len(starts), 32, ARCH.inputs)
    arch = dataclasses.replace(ARCH, depth=max(PACKED_DEPTHS))
    logits, hidden = one_thread(mlp.forward, arch, params, x, train=True)
    assert [len(h) for h in hidden] == [4, 3, 3, 1, 1]
    for m, (start, depth) in enumerate(zip(starts, PACKED_DEPTHS, strict=True)):
        alone_logits, alone = one_thread(
            mlp.forward, dataclasses.replace(ARCH, depth=depth), mlp.stack([start]), x[m : m + 1]
        )
        assert torch.equal(logits[m], alone_logits[0])
        assert all(torch.equal(hidden[l][m], alone[l][0]) for l in range(depth))
    back = mlp.unstack(params)
    assert all(
        b.keys() == s.keys() and all(np.array_equal(b[k], s[k]) for k in s) for b, s in zip(back, starts, strict=True)
    )
    with pytest.raises(ValueError, match="deepest first"):
        mlp.stack(starts[::-1])


@pytest.mark.parametrize("norm", ["bn", "none"])
def test_batched_training_equals_training_each_model_alone(tiny, norm):
    """Models of several depths, seeds and rates trained in one stack end bit for bit where
    each ends trained alone (on one thread), diverging or not."""
    tr, te = tiny
    starts = packed_starts(norm)
    seeds, lrs = [RunSeed(0, m) for m in range(4)], [0.05, 0.01, 1e6, 0.1]
    schedule = dict(train=tr, test=te, epochs=2, batch=32, scale=1 / 255)
    arch = dataclasses.replace(ARCH, depth=max(PACKED_DEPTHS), norm=norm)
    together, _, params = one_thread(
        train.train_batched, arch=arch, params=mlp.stack(starts), lrs=lrs, seeds=seeds, **schedule
    )
    frame = pd.DataFrame(together)
    assert frame.query("model == 2")["diverged_epoch"].dropna().unique().tolist() == [1]
    for m, depth in enumerate(PACKED_DEPTHS):
        alone, _, own = one_thread(
            train.train_batched,
            arch=dataclasses.replace(arch, depth=depth),
            params=mlp.stack([starts[m]]),
            lrs=[lrs[m]],
            seeds=[seeds[m]],
            **schedule,
        )
        a = frame.query("model == @m").drop(columns="model").reset_index(drop=True)
        b = pd.DataFrame(alone).drop(columns="model")
        pd.testing.assert_frame_equal(a.astype({"diverged_epoch": float}), b.astype({"diverged_epoch": float}))
        if m != 2:  # the diverged model's parameters are NaN
            mine, its = mlp.unstack(params)[m], mlp.unstack(own)[0]
            assert all(np.array_equal(mine[k], its[k]) for k in its)


def test_a_diverging_model_is_marked_and_the_others_go_on(tiny):
    tr, te = tiny
    vanilla = init.Architecture(inputs=3072, width=16, depth=3, norm="none")
    params = mlp.stack([init.init_params(vanilla, "pytorch", RunSeed(0, 0), "x")] * 2)
    metrics, _, _ = train.train_batched(
        arch=vanilla,
        params=params,
        lrs=[1e6, 0.01],
        seeds=[RunSeed(0, 0)] * 2,
        train=tr,
        test=te,
        epochs=3,
        batch=32,
        scale=1.0,
    )
    frame = pd.DataFrame(metrics)
    blown = frame[frame["model"] == 0]
    assert blown["diverged_epoch"].dropna().unique().tolist() == [1]
    assert blown.query("epoch >= 1")["train_loss"].isna().all()
    fine = frame[(frame["model"] == 1) & (frame["epoch"] >= 1)]
    assert fine["diverged_epoch"].isna().all() and np.isfinite(fine["train_loss"]).all()
    assert fine["train_loss"].iloc[-1] < fine["train_loss"].iloc[0]


RESUMABLE = """
import sys, time, torch, pandas as pd
from pathlib import Path
from bnrank.nets import data, init, mlp, train
from bnrank.nets.checkpoints import Checkpoint
from bnrank.streams import RunSeed
d = data.synthetic_cifar10(0, 2048, 256)
arch = init.Architecture(inputs=3072, width=32, depth=4, norm="bn")
params = mlp.stack([init.init_params(arch, "pytorch", RunSeed(0, s), "x") for s in range(2)])
slow = lambda epoch, p: (time.sleep(float(sys.argv[3])), [])[1]
metrics, _, _ = train.train_batched(arch=arch, params=params, lrs=[0.05, 0.01], seeds=[RunSeed(0, 0), RunSeed(0, 1)],
    train=train.Split(d.train_x, d.train_y), test=train.Split(d.test_x, d.test_y), epochs=5, batch=64, scale=1 / 255,
    checkpoint=Checkpoint(Path(sys.argv[1]), {"run": "test"}), on_epoch=slow)
pd.DataFrame(metrics).to_csv(sys.argv[2], index=False)
"""


def test_a_killed_run_resumes_and_ends_where_an_uninterrupted_one_does(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(RESUMABLE)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    whole = tmp_path / "whole.csv"
    subprocess.run([sys.executable, script, tmp_path / "a.pt", whole, "0"], check=True, env=env)
    checkpoint, resumed = tmp_path / "b.pt", tmp_path / "resumed.csv"
    run = subprocess.Popen([sys.executable, script, checkpoint, resumed, "1.5"], env=env)
    while not checkpoint.exists():  # wait for the first epoch's checkpoint, then kill
        assert run.poll() is None, "the run ended before it could be killed"
        time.sleep(0.05)
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert not resumed.exists()
    epoch_at_kill = torch.load(checkpoint, weights_only=False)["state"]["epoch"]
    assert 1 <= epoch_at_kill < 5
    again = subprocess.run([sys.executable, script, checkpoint, resumed, "0"], check=True, env=env, capture_output=True)
    assert f"at epoch {epoch_at_kill}" in again.stdout.decode()  # says where it resumed
    pd.testing.assert_frame_equal(pd.read_csv(whole), pd.read_csv(resumed))


def test_pretraining_raises_the_rank_bound():
    images = random_split(512, 100, seed=0)
    vanilla = init.Architecture(inputs=100, width=32, depth=8, norm="none")
    params = mlp.stack([init.init_params(vanilla, "xavier_normal", RunSeed(0, 0), "x")])
    settings = Pretraining(every=4, last=True, iterations=20, steps_per_batch=1, lr=0.03, batch=32, pre_activation=True)
    log = pretrain.pretrain_rank(
        arch=vanilla,
        params=params,
        data=images,
        pretraining=settings,
        scale=1 / 255,
        generator=torch_generator("pretraining_batches", RunSeed(0, 0), vanilla.depth),
    )
    assert [row["layer"] for row in log] == [4, 8]
    assert all(row["r_after"] > row["r_before"] for row in log)
    assert log[0]["r_after"] > 2 * log[0]["r_before"]
    assert pretrain.schedule(30, 4, True) == [4, 8, 12, 16, 20, 24, 28, 30]
    assert pretrain.schedule(30, 0, True) == [30]


def test_measured_rank_depends_on_the_dtype():
    """A deep vanilla ReLU net's float32 rank collapses to one, its float64 rank does not."""
    vanilla = init.Architecture(inputs=100, width=64, depth=24, norm="none")
    params = mlp.stack([init.init_params(vanilla, "pytorch", RunSeed(0, 0), "x")])
    probe = torch.rand(64, 100)
    notions = RankNotions(taus=(0.5,), eig_threshold=1e-9)
    f32 = layer_ranks(vanilla, params, probe, Measurement(64, "float32", notions), [24])[0]
    f64 = layer_ranks(vanilla, params, probe, Measurement(64, "float64", notions), [24])[0]
    assert f32["matrix_rank"] == 1 and f64["matrix_rank"] > 5
    assert f32["dtype"] == "float32" and f64["dtype"] == "float64"


def test_learning_rate_selection():
    rows = []
    for lr, losses in ((0.1, [0.5, float("nan")]), (0.01, [0.6, 0.7]), (0.001, [0.9, 0.8])):
        rows += [
            {"variant": "bn", "depth": 4, "lr": lr, "seed": s, "epoch": 3, "train_loss": l, "train_acc": 1 - l}
            for s, l in enumerate(losses)
        ]
    chosen = tables.select_learning_rates([pd.DataFrame(rows)], "best_final_train_loss", [0, 1])
    assert chosen[["variant", "depth", "lr"]].values.tolist() == [["bn", 4, 0.01]]  # a diverged seed counts as worst
    assert chosen["selected_on_seeds"].tolist() == ["0 1"]
    chosen = tables.select_learning_rates([pd.DataFrame(rows)], "best_final_train_acc", [0, 1])
    assert chosen["lr"].tolist() == [0.01]
    # only the selection seeds decide: seed 0 alone prefers 0.1
    chosen = tables.select_learning_rates([pd.DataFrame(rows)], "best_final_train_loss", [0])
    assert chosen["lr"].tolist() == [0.1] and chosen["selected_on_seeds"].tolist() == ["0"]


def test_pretraining_objectives_take_the_same_direction():
    """‖M‖_F/tr(M) = r(H)^(-1/2): the public Fig 4 code's objective moves the weights the way
    1/r(H) does, by a different amount."""
    images = random_split(256, 50, seed=1)
    arch = init.Architecture(inputs=50, width=16, depth=3, norm="none")
    start = mlp.stack([init.init_params(arch, "xavier_normal", RunSeed(0, 0), "x")])
    steps = {}
    for objective in ("inverse_r", "frobenius_over_trace"):
        params = {k: v.clone() for k, v in start.items()}
        settings = Pretraining(0, True, 1, 1, 1e-3, 64, False, objective)
        pretrain.pretrain_rank(
            arch=arch,
            params=params,
            data=images,
            pretraining=settings,
            scale=1 / 255,
            generator=torch_generator("pretraining_batches", RunSeed(0, 0), arch.depth),
        )
        steps[objective] = (params["W0"] - start["W0"]).flatten()
    a, b = steps["inverse_r"], steps["frobenius_over_trace"]
    assert torch.nn.functional.cosine_similarity(a, b, dim=0) > 0.999
    assert not torch.allclose(a, b)


def test_pre_activation_rank_bound_is_measured_beside_the_output():
    arch = init.Architecture(inputs=20, width=16, depth=3, norm="bn")
    params = mlp.stack([init.init_params(arch, "pytorch", RunSeed(0, 0), "x")])
    probe = torch.rand(32, 20)
    notions = RankNotions(taus=(0.5,), eig_threshold=1e-9)
    row = layer_ranks(arch, params, probe, Measurement(32, "float64", notions), [3])[0]
    _, pre = mlp.forward(arch, {k: v.double() for k, v in params.items()}, probe.double()[None], pre_activation=True)
    z = pre[2][0]  # (probe, width): BN's output before the ReLU
    m = z.T @ z
    assert row["lower_bound_pre"] == pytest.approx((torch.trace(m) ** 2 / (m**2).sum()).item(), rel=1e-9)
    assert row["lower_bound_pre"] > row["lower_bound"]  # the ReLU's mean direction lowers r(H)


def test_bn_is_evaluated_at_epoch_0_on_the_data_statistics():
    """Before any step BN's running statistics are (0, 1), never estimated: evaluated with
    them, inputs far from zero mean give logits no trained net would; with the data's own
    statistics, evaluation at epoch 0 equals a training-mode pass."""
    split = random_split(64, 20, seed=2, low=100)
    arch = init.Architecture(inputs=20, width=16, depth=2, norm="bn")
    params = mlp.stack([init.init_params(arch, "pytorch", RunSeed(0, 0), "x")])
    running_loss, _ = train.evaluate(arch, params, split, 1.0)
    data_loss, _ = train.evaluate(arch, params, split, 1.0, data_statistics=True)
    logits, _ = mlp.forward(arch, params, split.x.float()[None], train=True)
    expected = torch.nn.functional.cross_entropy(logits[0], split.y)
    assert data_loss.item() == pytest.approx(expected.item(), rel=1e-5)
    assert abs(running_loss.item() - data_loss.item()) > 0.1
    metrics, _, _ = train.train_batched(
        arch=arch,
        params=params,
        lrs=[0.01],
        seeds=[RunSeed(0, 0)],
        train=split,
        test=split,
        epochs=1,
        batch=32,
        scale=1.0,
    )
    assert metrics[0]["epoch"] == 0 and metrics[0]["test_loss"] == pytest.approx(expected.item(), rel=1e-5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device; run where one is present")
def test_training_on_cuda_matches_the_cpu(tiny):
    """The same models, seeds and minibatches on a CUDA device end where they end on the
    CPU, to float32 accuracy, and the data stay on the device."""
    tr, te = tiny
    starts = [init.init_params(ARCH, "pytorch", RunSeed(0, s), "x") for s in range(2)]
    seeds, lrs = [RunSeed(0, 0), RunSeed(0, 1)], [0.05, 0.01]
    schedule = dict(lrs=lrs, seeds=seeds, epochs=2, batch=32, scale=1 / 255)
    cpu, _, _ = train.train_batched(arch=ARCH, params=mlp.stack(starts), train=tr, test=te, **schedule)
    on = lambda s: train.Split(s.x.cuda(), s.y.cuda())  # noqa: E731
    gpu, _, params = train.train_batched(
        arch=ARCH, params=mlp.stack(starts, "cuda"), train=on(tr), test=on(te), **schedule
    )
    assert all(p.is_cuda for p in params.values())
    a, b = pd.DataFrame(cpu), pd.DataFrame(gpu)
    np.testing.assert_allclose(a["train_loss"].to_numpy(float), b["train_loss"].to_numpy(float), rtol=1e-3)
    np.testing.assert_allclose(a["test_acc"].to_numpy(float), b["test_acc"].to_numpy(float), atol=2e-3)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device; run where one is present")
def test_a_captured_step_trains_what_an_uncaptured_one_trains_and_resumes_exactly(tiny, tmp_path):
    """On CUDA, steps replayed from a CUDA graph train a stack of depths (one model diverging)
    as uncaptured steps do, and a model as it trains alone, to float32 accuracy, with TF32
    off; a run resumed from its checkpoint, captured again, ends where an uninterrupted
    captured run ends."""
    tr, te = tiny
    on = lambda s: train.Split(s.x.cuda(), s.y.cuda())  # noqa: E731
    schedule = dict(
        arch=dataclasses.replace(ARCH, depth=max(PACKED_DEPTHS)),
        lrs=[0.05, 0.01, 1e6, 0.1],
        seeds=[RunSeed(0, m) for m in range(4)],
        train=on(tr),
        test=on(te),
        batch=32,
        scale=1 / 255,
    )
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    captured, _, params = train.train_batched(params=mlp.stack(packed_starts(), "cuda"), epochs=3, **schedule)
    assert not torch.backends.cuda.matmul.allow_tf32 and not torch.backends.cudnn.allow_tf32
    plain, _, _ = train.train_batched(params=mlp.stack(packed_starts(), "cuda"), epochs=3, cuda_graph=False, **schedule)
    a, b = pd.DataFrame(captured), pd.DataFrame(plain)
    assert a["diverged_epoch"].tolist() == b["diverged_epoch"].tolist()
    for column in ("train_loss", "test_loss", "test_acc"):
        np.testing.assert_allclose(a[column].to_numpy(float), b[column].to_numpy(float), rtol=1e-4, atol=1e-6)
    alone = dict(schedule, arch=dataclasses.replace(ARCH, depth=PACKED_DEPTHS[-1]), lrs=[0.1], seeds=[RunSeed(0, 3)])
    shallow, _, _ = train.train_batched(params=mlp.stack(packed_starts()[3:], "cuda"), epochs=3, **alone)
    np.testing.assert_allclose(  # the depth-1 model as it trains alone: its stack does not matter
        a.query("model == 3")["train_loss"].to_numpy(float),
        pd.DataFrame(shallow)["train_loss"].to_numpy(float),
        rtol=1e-4,
    )
    saved = Checkpoint(tmp_path / "run.pt", {"run": "captured"})
    train.train_batched(params=mlp.stack(packed_starts(), "cuda"), epochs=2, checkpoint=saved, **schedule)
    resumed, _, again = train.train_batched(
        params=mlp.stack(packed_starts(), "cuda"), epochs=3, checkpoint=saved, **schedule
    )
    c = pd.DataFrame(resumed)
    np.testing.assert_allclose(c["train_loss"].to_numpy(float), a["train_loss"].to_numpy(float), rtol=1e-6)
    for k in params:
        if k.startswith(("W", "b", "out_")):
            np.testing.assert_allclose(again[k][:2].cpu().numpy(), params[k][:2].cpu().numpy(), rtol=1e-6, atol=1e-7)


@pytest.fixture
def grid(tmp_path):
    """A saved data set and start weights of three seeds at depths 3 and 1, and a runner of
    ``train_runs`` that counts the models it trains."""
    data.synthetic_cifar10(0, 256, 64).save(tmp_path / "data.pt")
    archs = {d: dataclasses.replace(ARCH, depth=d) for d in (ARCH.depth, 1)}
    weights = {}
    for d, arch in archs.items():
        for s in range(3):
            weights[d, s] = str(tmp_path / f"depth{d}_seed{s}.npz")
            init.save_params(weights[d, s], init.init_params(arch, "pytorch", RunSeed(0, s), "x"))
    measurement = Measurement(probe=32, dtype="float32", rank_notions=RankNotions(taus=(0.5,), eig_threshold=1e-9))
    trained = []

    def run(seeds, lrs, store, epochs=2, code=(), depths=(ARCH.depth,)):
        schedule = Training(
            epochs=epochs, batch=32, lrs=tuple(lrs), train_samples=None, input_scale="unit", device="cpu"
        )
        counting = experiments.train_batched

        def count(**arguments):
            trained.append(len(arguments["lrs"]))
            return counting(**arguments)

        models = experiments.stage_models(
            seeds=[RunSeed(0, s) for s in seeds],
            weights=[weights[d, s] for d in depths for s in seeds],
            rates={d: schedule.lrs for d in depths},
        )
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(experiments, "train_batched", count)
            return experiments.train_runs(
                variant="bn",
                dataset_path=str(tmp_path / "data.pt"),
                models=models,
                archs={d: archs[d] for d in depths},
                training=schedule,
                measurement=measurement,
                stores=None if store is None else {d: store / f"depth{d}" for d in depths},
                code=code,
            )

    return run, trained, tmp_path


def test_a_grown_grid_trains_only_its_new_models_and_equals_a_fresh_run(grid):
    run, trained, folder = grid
    one_thread(check_grown_grids, run, trained, folder / "models")


def check_grown_grids(run, trained, store):
    run([0, 1], [0.05, 0.01], store)
    assert trained == [4]
    grown = run([0, 1, 2], [0.05, 0.01], store)  # a seed more: its two models only
    grown_lr = run([0, 1, 2], [0.05, 0.01, 0.1], store)  # a rate more: one model per seed
    grown_depth = run([0, 1, 2], [0.05, 0.01, 0.1], store, depths=(ARCH.depth, 1))  # a depth more: its nine
    assert trained == [4, 2, 3, 9]
    for result, lrs, depths in (
        (grown, [0.05, 0.01], (ARCH.depth,)),
        (grown_lr, [0.05, 0.01, 0.1], (ARCH.depth,)),
        (grown_depth, [0.05, 0.01, 0.1], (ARCH.depth, 1)),
    ):
        fresh = run([0, 1, 2], lrs, None, depths=depths)
        for part, again in zip(result, fresh, strict=True):
            pd.testing.assert_frame_equal(part, again)  # the same files as a fresh run of the grown grid
    assert trained == [4, 2, 3, 9, 6, 9, 18]
    metrics, ranks = grown_depth
    assert list(metrics.drop_duplicates("model")[["depth", "seed", "lr"]].itertuples(index=False, name=None)) == [
        (d, s, lr) for d in (ARCH.depth, 1) for s in range(3) for lr in (0.05, 0.01, 0.1)
    ]
    assert (ranks["layer"] == ranks["depth"]).all()  # each model measured at its own last hidden layer


def test_finished_models_are_trained_again_when_what_made_them_changes(grid):
    run, trained, folder = grid
    store, module = folder / "models", folder / "module.py"
    module.write_text("x = 1\n")
    run([0], [0.05], store, code=[str(module)])
    run([0], [0.05], store, epochs=3, code=[str(module)])  # another schedule
    module.write_text("x = 2\n")
    run([0], [0.05], store, epochs=3, code=[str(module)])  # edited code the job runs
    run([0], [0.05], store, epochs=3, code=[str(module)])  # nothing changed: nothing trained
    assert trained == [1, 1, 1]


def test_only_the_last_hidden_layer_is_measured_unless_all_are_asked_for():
    """measurement.layers: every table reads the last hidden layer, so only it is measured
    by default; ``all`` measures every layer, the last one identically."""
    arch = init.Architecture(inputs=20, width=8, depth=4, norm="bn")
    params = mlp.stack([init.init_params(arch, "pytorch", RunSeed(0, s), "x") for s in range(2)])
    probe = torch.rand(16, 20)
    last = Measurement(16, "float32", RankNotions(taus=(0.5,), eig_threshold=1e-9))
    rows = layer_ranks(arch, params, probe, last)
    every = layer_ranks(arch, params, probe, dataclasses.replace(last, layers="all"))
    assert [r["layer"] for r in rows] == [4, 4]
    assert sorted({r["layer"] for r in every}) == [1, 2, 3, 4]
    assert [r for r in every if r["layer"] == 4] == rows


def test_the_reported_stage_trains_the_chosen_rate_alone_and_equals_the_whole_grid(grid):
    """Selection first, then the reported seeds at the chosen rate only: the reported models
    are those a job over the whole grid trains (bit for bit on one thread), at a fraction of it."""
    run, trained, _ = grid
    grid_rates = (0.05, 0.01)
    selected = pd.DataFrame({"variant": ["bn", "bn"], "depth": [ARCH.depth, ARCH.depth + 1], "lr": [0.01, 0.05]})
    schedule = Training(epochs=2, batch=32, lrs=grid_rates, train_samples=None, input_scale="unit", device="cpu")
    chosen = experiments.at_selected_rate(schedule, selected, "bn", ARCH.depth)
    assert chosen.lrs == (0.01,) and dataclasses.replace(chosen, lrs=grid_rates) == schedule
    whole, _ = one_thread(run, [0, 1], grid_rates, None)
    reported, _ = one_thread(run, [0, 1], chosen.lrs, None)
    assert trained == [4, 2]
    at_rate = whole[whole["lr"] == 0.01].drop(columns="model").reset_index(drop=True)
    pd.testing.assert_frame_equal(reported.drop(columns="model"), at_rate)
    with pytest.raises(ValueError, match="outside its grid"):
        experiments.at_selected_rate(schedule, selected.assign(lr=0.1), "bn", ARCH.depth)
    with pytest.raises(ValueError, match="chose 0 rates for variant 'vanilla'"):
        experiments.at_selected_rate(schedule, selected, "vanilla", ARCH.depth)
