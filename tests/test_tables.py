"""The training figures' tables carry what their claims need to tell whether a run had
converged: each run's convergence window (``tables.convergence_window``), built by one
function for every table, from ``convergence.window``."""

import math

import numpy as np
import pandas as pd
import pytest

from bnrank import tables


def curves(steps, runs=((0,), (1,)), loss=lambda step, run: 2.0 / (1 + step + run[0])):
    """One row per (run, step) with a training loss; step 0 (the initialisation) has none."""
    return pd.DataFrame(
        [
            {"seed": run[0], "step": step, "train_loss": math.nan if step == 0 else loss(step, run)}
            for run in runs
            for step in steps
        ]
    )


@pytest.mark.parametrize(
    ("steps", "window", "start"),
    [
        (range(4), 0.25, 2),  # the quick preset's 3 epochs: at least one step
        (range(16), 0.25, 11),  # Fig 6's 15 epochs: 3.75 steps, rounded up
        (range(76), 0.25, 56),  # Fig 1's 75 epochs
        (range(101), 0.25, 75),  # Figs 4, 12's 100 epochs
        (range(0, 251, 25), 0.25, 175),  # the quick VGG19: 250 iterations, a record every 25
        (range(0, 4001, 100), 0.25, 3000),  # the paper's CNNs
        (range(4), 1.0, 1),  # never before the first step with a training loss
        (range(2), 0.25, 0),  # a single epoch: no loss at the window's start, nothing to tell
    ],
)
def test_the_window_is_the_last_fraction_of_the_run_at_least_one_step(steps, window, start):
    result = tables.convergence_window(curves(steps), ["seed"], "step", window)
    assert (result["window_start"] == start).all() and list(result["seed"]) == [0, 1]
    expected = [math.nan if start == 0 else 2.0 / (1 + start + seed) for seed in (0, 1)]
    np.testing.assert_allclose(result["train_loss_window_start"], expected)


def test_a_run_that_stopped_before_the_window_has_no_loss_there():
    frame = curves(range(0, 101, 25))
    stopped = frame[(frame["seed"] == 0) | (frame["step"] <= 25)]  # seed 1 diverged at iteration 25
    result = tables.convergence_window(stopped, ["seed"], "step", 0.25).set_index("seed")
    assert (result["window_start"] == 75).all()
    assert result.loc[0, "train_loss_window_start"] == pytest.approx(2.0 / 76)
    assert math.isnan(result.loc[1, "train_loss_window_start"])


def metrics(variant, depth, epochs=3, seeds=(0, 1), lrs=(0.1, 0.01)):
    rows = [
        {"model": m, "seed": s, "lr": lr, "epoch": e, "variant": variant, "depth": depth}
        | {"train_loss": math.nan if e == 0 else 1.0 / e + lr, "train_acc": math.nan if e == 0 else 0.5 + 0.1 * e}
        | {"test_loss": 1.0, "test_acc": 0.5, "diverged_epoch": None}
        for m, (s, lr) in enumerate((s, lr) for s in seeds for lr in lrs)
        for e in range(epochs + 1)
    ]
    return pd.DataFrame(rows)


KINDS = {"vanilla": {"norm": "none", "init": "pytorch", "input_scale": "unit", "pretrain_iterations": 0}}
KINDS["bn"] = KINDS["vanilla"] | {"norm": "bn"}


def selected(depths):
    return pd.DataFrame(
        [{"variant": v, "depth": d, "lr": 0.01, "selected_on_seeds": "2"} for v in KINDS for d in depths]
    )


def test_the_curves_tables_carry_each_runs_window_on_every_row():
    table = tables.training_curves(
        metrics=[metrics(v, d) for v in KINDS for d in (10, 30)],
        selected=selected((10, 30)),
        pretrain_ranks=[],
        variants=KINDS,
        dataset="fashion_mnist",
        seeds=[0, 1],
        window=0.25,
    )
    assert (table["window_start"] == 2).all() and (table["lr"] == 0.01).all()
    np.testing.assert_allclose(table["train_loss_window_start"], 1.0 / 2 + 0.01)


def test_fig1s_table_of_final_values_gains_the_loss_at_the_windows_start():
    init = [
        pd.DataFrame(
            {"variant": v, "depth": 4, "seed": [0, 1], "layer": 4, "matrix_rank": 100.0}
            | {"lower_bound": 20.0, "lower_bound_pre": 30.0, "dtype": "float32"}
        )
        for v in KINDS
    ]
    table = tables.fig1(
        init_ranks=init,
        metrics=[metrics(v, 4, epochs=8) for v in KINDS],
        selected=selected((4,)),
        variants=KINDS,
        width=128,
        dataset="fashion_mnist",
        seeds=[0, 1],
        window=0.25,
    )
    assert len(table) == 4 and (table["epoch"] == 8).all() and (table["window_start"] == 6).all()
    np.testing.assert_allclose(table["train_loss_window_start"], 1.0 / 6 + 0.01)
    np.testing.assert_allclose(table["train_loss"], 1.0 / 8 + 0.01)


def test_the_cnn_table_carries_the_window_over_the_recorded_iterations():
    logs = [
        pd.DataFrame(
            {"variant": v, "seed": s, "iteration": [0, 25, 50, 75, 100], "train_loss": [np.nan, 2.0, 1.5, 1.2, 1.0]}
            | {"train_acc": 0.5, "matrix_rank": 10, "lower_bound": 2.0, "alignment": 0.5, "diverged_iteration": None}
        )
        for v in ("bn", "none")
        for s in (0, 1)
    ]
    table = tables.cnn_curves(logs, dataset="cifar10", show=("bn", "none"), window=0.25)
    assert (table["window_start"] == 75).all() and (table["train_loss_window_start"] == 1.2).all()
    assert list(table["variant"].unique()) == ["bn", "none"]
