"""Every claim of every figure, fed a hand-made table where it must hold and one where
it must fail (``BREAKS``: one edit of the good table per claim). In the training figures'
tables the reference run has converged (its training loss fell 5% over the window), so a
claim that breaks fails; ``STILL_LEARNING`` gives each a table where the reference has not,
and the claims read from trained networks are then not evaluated."""

import math
import re

import numpy as np
import pandas as pd
import pytest

from bnrank import claims, tables
from bnrank.claims.common import (
    Comparison,
    ConvergenceTest,
    Favours,
    Preference,
    above,
    at_least,
    at_most,
    below,
    claim,
    highest_of,
    lowest_of,
    within,
)
from bnrank.figures import FIGURES
from tests import test_gradients, test_isometry, test_orthogonality


def statuses(rows):
    return {r["claim"]: r["status"] for r in rows}


# ---------------------------------------------------------------- hand-made tables


def fig2_table(vanilla_final=1.0, bn_min=9.0):
    rows = []
    for net, ranks in (("bn", [32, 10, bn_min]), ("vanilla", [32, 3, vanilla_final])):
        for run in range(2):
            rows += [
                {"network": net, "activation": "linear", "run": run, "depth": depth, "rank": r, "d": 32}
                for depth, r in zip((0, 1000, 2000), ranks, strict=True)
            ]
    return pd.DataFrame(rows)


def fig3_table(rank=lambda d: 1.5 * np.sqrt(d), small_end=1e-2, top_end=10.0):
    d = np.array([8, 16, 32, 64])
    a = pd.DataFrame(
        {"panel": "a", "d": d, "gamma": math.inf, "run": 0, "rank": rank(d), "theorem2_bound": 0.25 * np.sqrt(d)}
    )
    layers = np.arange(31)
    b = pd.concat(
        [
            pd.DataFrame(
                {"panel": "b", "run": 0, "index": 1, "layer": layers, "eigenvalue": np.linspace(50, top_end, 31)}
            ),
            pd.DataFrame(
                {"panel": "b", "run": 0, "index": 10, "layer": layers, "eigenvalue": np.geomspace(1e-5, small_end, 31)}
            ),
        ]
    )
    b.loc[(b["index"] == 10) & (b["layer"] >= 20), "eigenvalue"] = small_end
    return pd.concat([a, b], ignore_index=True)


def moments(alphas=((16, 0.85), (64, 0.8)), frob2=lambda d: d**1.5):
    return [
        pd.DataFrame(
            {"d": d, "gamma": 1.0, "run": 0, "layer": [100, 200], "frob2": frob2(d), "diag_sq": a, "tr_m3": 1.0}
        )
        for d, a in alphas
    ]


def changed(row, changes, who, depth, seed):
    """``row`` with the ``changes`` that address it: keys (column, who, depth) for every
    seed or (column, who, depth, seed) for one; a tuple value holds one value per seed."""
    for (column, *where), value in (changes or {}).items():
        if where[:2] == [who, depth] and (len(where) == 2 or where[2] == seed):
            row = row | {column: value[seed] if isinstance(value, tuple) else value}
    return row


WINDOW = 0.25  # convergence.window: over 3 epochs, epoch 2 → 3
LIMITS = {"max_relative_improvement": 0.1, "fit_accuracy": 0.99}  # the rest of convergence


def fig1_table(changes=None, fell=None):
    """Two networks at depths 1, 4, 16, 32, two seeds, 3 epochs; ``changes`` maps
    (column, network, depth) to a new value for every seed, or (column, network, depth,
    seed) for one. ``fell`` maps (network, depth) to the fraction by which the training
    loss fell over the window (epoch 2 → 3; default 5%: flattened)."""
    values = {
        "rank_init": {"vanilla": [100, 50, 2, 1], "bn": [120, 125, 126, 126]},
        "lower_bound_init": {"vanilla": [30, 8, 1.3, 1.1], "bn": [40, 30, 25, 20]},
        "train_acc": {"vanilla": [0.8, 0.8, 0.1, 0.1], "bn": [0.85, 0.85, 0.84, 0.84]},
        "train_loss": {"vanilla": [0.6, 0.6, 2.3, 2.3], "bn": [0.4, 0.4, 0.45, 0.45]},
    }
    rows = []
    for net in ("vanilla", "bn"):
        for i, depth in enumerate((1, 4, 16, 32)):
            for seed in (0, 1):
                row = {"network": net, "depth": depth, "seed": seed, "rank_dtype": "float32", "width": 128}
                row |= {"lr": 0.1, "diverged_epoch": np.nan} | {c: v[net][i] for c, v in values.items()}
                loss_start = row["train_loss"] / (1 - (fell or {}).get((net, depth), 0.05))
                row |= {"epoch": 3, "window_start": 2, "train_loss_window_start": loss_start}
                rows.append(changed(row, changes, net, depth, seed))
    return pd.DataFrame(rows)


def with_window(curves, runs, step):
    """``curves`` with the convergence window the table builders add (``tables.convergence_window``)."""
    return curves.merge(tables.convergence_window(curves, runs, step, WINDOW), on=runs, how="left")


FIG4_FINAL = {  # final metric per (variant, depth): depth 10, depth 30
    "train_loss": {
        "pretrained": (0.5, 0.6),
        "bn": (0.5, 1.0),
        "vanilla_xavier": (0.6, 2.0),
        "pretrained_public": (1, 2),
    },
    "train_acc": {
        "pretrained": (0.8, 0.78),
        "bn": (0.8, 0.6),
        "vanilla_xavier": (0.7, 0.2),
        "pretrained_public": (0.5, 0.1),
    },
    "test_loss": {
        "pretrained": (0.6, 0.7),
        "bn": (0.6, 1.1),
        "vanilla_xavier": (0.7, 2.1),
        "pretrained_public": (1, 2),
    },
}
FIG4_RANK_GAIN = {"pretrained": (1.5, 6.0), "pretrained_public": (1.0, 1.1)}  # r(H) before, after


def fig4_table(changes=None, fell=None):
    """Training curves of four variants at depths 10 and 30, three seeds, epochs 0, 1, 2.

    ``changes`` maps (column, variant, depth) or (column, variant, depth, seed) to a value
    at the final epoch (a tuple of per-seed values is spread over the seeds). ``fell`` maps
    (variant, depth) to the fraction by which the training loss fell over the window
    (epoch 1 → 2; default 5%: flattened)."""
    rows = []
    for variant in FIG4_FINAL["train_loss"]:
        for i, depth in enumerate((10, 30)):
            for seed in range(3):
                noise = 0.001 * seed
                before, after = FIG4_RANK_GAIN.get(variant, (np.nan, np.nan))
                base = {"variant": variant, "depth": depth, "seed": seed, "diverged_epoch": np.nan}
                base |= {"r_pre_before_pretraining": before, "r_pre_after_pretraining": after}
                final = base | {"epoch": 2} | {m: v[variant][i] + noise for m, v in FIG4_FINAL.items()}
                final = changed(final, changes, variant, depth, seed)
                pretraining = {k: v for k, v in final.items() if k.endswith("_pretraining")}  # the same every epoch
                rows.append(
                    base | pretraining | {"epoch": 0, "train_loss": np.nan, "train_acc": np.nan, "test_loss": 2.3}
                )
                loss = final["train_loss"] / (1 - (fell or {}).get((variant, depth), 0.05))
                middle = {"epoch": 1, "train_loss": loss, "train_acc": final["train_acc"], "test_loss": 2.0}
                rows.append(base | pretraining | middle)
                rows.append(final)
    return with_window(pd.DataFrame(rows), ["variant", "depth", "seed"], "epoch")


FIG6_VARIANTS = {  # norm, init, pretraining iterations; r(H) at epoch 0 and 3; final accuracy
    "vanilla_xavier": ("none", "xavier_normal", 0, 1.2, 1.5, 0.3),
    "pretrained_25": ("none", "xavier_normal", 25, 3.0, 3.5, 0.5),
    "pretrained_75": ("none", "xavier_normal", 75, 5.0, 6.0, 0.7),
    "bn": ("bn", "pytorch", 0, 17.0, 15.0, 0.85),
    "bn_asymmetric": ("bn", "asymmetric", 0, 3.0, 4.0, 0.4),
}


def fig6_table(changes=None, fell=None):
    """Five variants at depth 32, two seeds, epochs 0, 2 and 3; ``changes`` maps (column,
    variant, epoch) to a value; ``fell`` maps a variant to the fraction by which its training
    loss fell over the window (epoch 2 → 3; default 5%: flattened)."""
    rows = []
    for variant, (norm, init, iterations, r0, r3, acc) in FIG6_VARIANTS.items():
        loss = 2 * (1 - acc)
        before = loss / (1 - (fell or {}).get(variant, 0.05))
        for seed in (0, 1):
            for epoch, r, a, ell in ((0, r0, np.nan, np.nan), (2, r3, acc, before), (3, r3, acc, loss)):
                row = {"variant": variant, "depth": 32, "seed": seed, "epoch": epoch, "train_acc": a}
                row |= {"train_loss": ell, "r_pre": r + 0.01 * seed}
                row |= {"norm": norm, "init": init, "pretrain_iterations": iterations, "diverged_epoch": np.nan}
                for (column, v, e), value in (changes or {}).items():
                    if (v, e) == (variant, epoch):
                        row[column] = value
                rows.append(row)
    return with_window(pd.DataFrame(rows), ["variant", "depth", "seed"], "epoch")


CNN_VARIANTS = {  # variant: matrix_rank, r(H), alignment, final training accuracy
    "bn": (60, 2.0, 0.6, 0.7),
    "bn_asymmetric": (2, 1.0, 0.99, 0.11),
    "bn_nocenter": (58, 2.1, 0.62, 0.69),
    "none": (1, 1.0, 1.0, 0.1),
    "none_lr100": (1, 1.0, 1.0, 0.1),
    "none_random": (1, 1.0, 1.0, 0.105),
}


def cnn_table(changes=None, diverged=None, fell=None):
    """Six CNN variants, two seeds, iterations 0, 50, 100, accuracy rising linearly to its
    final value; ``changes`` maps (column, variant, iteration[, seed]) to a value,
    ``diverged`` (variant, seed, iteration) stops a run there; ``fell`` maps a variant to
    the fraction by which its training loss fell over the window (iteration 50 → 100;
    default 5%: flattened)."""
    rows = []
    for variant, (rank, r, alignment, final) in CNN_VARIANTS.items():
        loss = 2.3 * (1 - final) + 0.1
        losses = {0: np.nan, 50: loss / (1 - (fell or {}).get(variant, 0.05)), 100: loss}
        for seed in (0, 1):
            for it in (0, 50, 100):
                acc = np.nan if it == 0 else 0.1 + (final - 0.1) * it / 100
                row = {"variant": variant, "seed": seed, "iteration": it, "train_acc": acc, "matrix_rank": rank}
                row |= {"train_loss": losses[it]}
                row |= {"lower_bound": r, "alignment": alignment, "zero_samples": 0, "diverged_iteration": np.nan}
                for (column, v, i, *s), value in (changes or {}).items():
                    if (v, i) == (variant, it) and s in ([], [seed]):
                        row[column] = value
                if diverged and diverged[:2] == (variant, seed):
                    if it > diverged[2]:
                        continue
                    if it == diverged[2]:
                        row |= {"diverged_iteration": it, "train_acc": np.nan, "train_loss": np.nan}
                rows.append(row)
    return with_window(pd.DataFrame(rows), ["variant", "seed"], "iteration")


# ---------------------------------------------------------------- each figure: good table, and one break per claim

THRESHOLDS = {
    "fig1": {
        "vanilla_max_rank": 2,
        "vanilla_max_r": 2,
        "bn_min_rank_fraction": 0.5,
        "shallow_depth": 10,
        "vanilla_min_drop": 0.2,
        "bn_max_drop": 0.05,
    },
    "fig2": {"vanilla_max_rank": 2, "bn_min_rank_over_sqrt_d": 1},
    "fig3": {"min_slope": 0.35, "min_rank_over_bound": 1, "rise_layer": 20, "rise_factor": 100, "max_top_ratio": 0.5},
    "fig4": {"seed_majority": 0.5, "min_rank_gain": 2, "public": "pretrained_public"},
    "fig6": {"max_asymmetric_rank_ratio": 0.5, "min_order_agreement": 0.8},
    "fig8": {"max_alpha": 0.9, "min_width": 10},
    "fig9": {"slope": (1.3, 1.7)},
    "fig11": {"seed_majority": 0.5},
    "fig5": {
        "standard": "bn",
        "asymmetric": "bn_asymmetric",
        "nocenter": "bn_nocenter",
        "max_rank_ratio": 0.5,
        "max_asymmetric_accuracy": 0.2,
        "min_standard_accuracy": 0.5,
        "max_accuracy_gap": 0.05,
    },
    "fig7": {"bn": "bn", "nocenter": "bn_nocenter", "max_accuracy_gap": 0.05, "max_r_ratio": 1.5},
    "fig10": {
        "bn": "bn",
        "none": "none",
        "high_lr": "none_lr100",
        "random": "none_random",
        "min_alignment": 0.9,
        "max_accuracy": 0.2,
        "max_path_gap": 0.02,
        "min_alignment_gap": 0.1,
    },
    "fig12": {"seed_majority": 0.5, "min_rank_gain": 2, "public": "pretrained_public"},
}
THRESHOLDS["fig13"] = THRESHOLDS["fig5"]

GOOD = {
    "fig1": fig1_table,
    "fig2": fig2_table,
    "fig3": fig3_table,
    "fig4": fig4_table,
    "fig6": fig6_table,
    "fig8": lambda: tables.fig8(moments(), points=10),
    "fig9": lambda: tables.fig9(moments()),
    "fig11": fig4_table,
    "fig12": fig4_table,
    "fig5": cnn_table,
    "fig7": cnn_table,
    "fig10": cnn_table,
    "fig13": cnn_table,
}

# (figure, claim, a table where that claim must fail, why)
BREAKS = [
    ("fig1", "vanilla_rank_collapses", lambda: fig1_table({("rank_init", "vanilla", 32): 5}), "rank 5 at depth 32"),
    ("fig1", "vanilla_r_collapses", lambda: fig1_table({("lower_bound_init", "vanilla", 32): 3}), "r(H) 3"),
    ("fig1", "bn_rank_stays_high", lambda: fig1_table({("rank_init", "bn", 32): 30}), "30 < 64"),
    (
        "fig1",
        "vanilla_accuracy_falls_past_depth",
        lambda: fig1_table({("train_acc", "vanilla", 16): 0.75, ("train_acc", "vanilla", 32): 0.75}),
        "a drop of 0.05 < 0.2",
    ),
    ("fig1", "bn_accuracy_barely_falls", lambda: fig1_table({("train_acc", "bn", 32): 0.6}), "a drop of 0.25"),
    (
        "fig1",
        "vanilla_accuracy_falls_past_depth",
        lambda: fig1_table(
            {("train_acc", "vanilla", d, s): np.nan for d, s in ((1, 0), (1, 1), (4, 1))}
            | {("diverged_epoch", "vanilla", d, s): 2 for d, s in ((1, 0), (1, 1), (4, 1))}
        ),
        "diverged vanilla seeds count as accuracy 0, not as missing (skipped, the shallow mean would be 0.8)",
    ),
    ("fig2", "vanilla_rank_collapses[linear]", lambda: fig2_table(vanilla_final=3), "rank 3"),
    ("fig2", "bn_rank_above_sqrt_d[linear]", lambda: fig2_table(bn_min=5), "5 < √32"),
    ("fig3", "rank_grows_at_least_like_sqrt_d[gamma=inf]", lambda: fig3_table(rank=lambda d: 3 * d**0.2), "slope 0.2"),
    ("fig3", "rank_above_theorem2_level[gamma=inf]", lambda: fig3_table(rank=lambda d: 0.2 * np.sqrt(d)), "0.2√d"),
    ("fig3", "small_eigenvalues_rise", lambda: fig3_table(small_end=1e-4), "×10 only"),
    ("fig3", "top_eigenvalue_falls", lambda: fig3_table(top_end=40.0), "λ₁ falls to 0.8 of its start, not half"),
    ("fig8", "alpha_below_bound[gamma=1]", lambda: tables.fig8(moments(((16, 0.95), (64, 0.8))), 10), "α = 0.95"),
    ("fig8", "alpha_decreases_with_d[gamma=1]", lambda: tables.fig8(moments(((16, 0.8), (64, 0.85))), 10), "rises"),
    ("fig9", "frob2_grows_like_d^1.5[gamma=1]", lambda: tables.fig9(moments(frob2=lambda d: d**2.5)), "d^2.5"),
    ("fig9", "frob2_below_lemma13_bound[gamma=1]", lambda: tables.fig9(moments(frob2=lambda d: 2 * d**1.5)), "2×"),
    (
        "fig6",
        "pretraining_raises_r",
        lambda: fig6_table({("r_pre", "pretrained_75", 0): 2.5}),
        "75 iterations below 25",
    ),
    (
        "fig6",
        "pretraining_speeds_training",
        lambda: fig6_table({("train_acc", "pretrained_75", 3): 0.45}),
        "75 iterations train slower than 25",
    ),
    (
        "fig6",
        "asymmetric_init_lowers_bn_r",
        lambda: fig6_table({("r_pre", "bn_asymmetric", 0): 10.0}),
        "lower, but not significantly: 10/17 > 0.5",
    ),
    ("fig6", "asymmetric_init_slows_bn", lambda: fig6_table({("train_acc", "bn_asymmetric", 3): 0.9}), "faster"),
    (
        "fig6",
        "sgd_keeps_r_order",
        lambda: fig6_table({("r_pre", v, 3): 20 - spec[3] for v, spec in FIG6_VARIANTS.items()}),
        "the order is reversed",
    ),
    (
        "fig6",
        "pretraining_speeds_training",
        lambda: fig6_table({("train_acc", "pretrained_75", 3): np.nan, ("diverged_epoch", "pretrained_75", 3): 2}),
        "a diverged seed counts as accuracy 0",
    ),
]
for fig in ("fig5", "fig13"):
    BREAKS += [
        (
            fig,
            "asymmetric_init_lowers_rank",
            lambda: cnn_table({("matrix_rank", "bn_asymmetric", 50): 40}),
            "lower, but 2/3 of BN's at iteration 50",
        ),
        (
            fig,
            "asymmetric_init_does_not_fit",
            lambda: cnn_table({("train_acc", "bn_asymmetric", 100, 1): 0.4}),
            "one asymmetric seed fits",
        ),
        (fig, "standard_bn_fits", lambda: cnn_table({("train_acc", "bn", 100, 0): 0.3}), "one BN seed at 0.3"),
        (
            fig,
            "nocenter_trains_like_bn",
            lambda: cnn_table(diverged=("bn_nocenter", 1, 50)),
            "a diverged seed counts as accuracy 0, not as missing (skipped, the gap would be 0.01)",
        ),
        (
            fig,
            "nocenter_trains_like_bn",
            lambda: cnn_table({("train_acc", "bn_nocenter", 100): 0.6}),
            "0.1 behind BN",
        ),
    ]
BREAKS += [
    (
        "fig7",
        "nocenter_matches_bn_accuracy",
        lambda: cnn_table({("train_acc", "bn_nocenter", 50): 0.2}),
        "0.2 behind BN half-way, level at the end",
    ),
    ("fig7", "nocenter_matches_bn_r", lambda: cnn_table({("lower_bound", "bn_nocenter", 100): 4.0}), "twice BN's"),
    (
        "fig10",
        "no_bn_gradients_aligned",
        lambda: cnn_table({("alignment", "none_random", 50): 0.8}),
        "the random-data net at 0.8 half-way",
    ),
    (
        "fig10",
        "no_bn_does_not_train",
        lambda: cnn_table({("train_acc", "none_lr100", 100, 0): 0.35}),
        "one 100× lr seed trains",
    ),
    (
        "fig10",
        "random_data_same_path",
        lambda: cnn_table({("train_acc", "none_random", 100): 0.2}),
        "random data 0.1 above at the end",
    ),
    (
        "fig10",
        "bn_alignment_below_no_bn",
        lambda: cnn_table({("alignment", "bn", 100): 0.95}),
        "BN's alignment reaches 0.95",
    ),
]
# pretrained at depths 10 and 30 that still beats BN at depth 30 but worsens more with depth
SLOWER = {"train_loss": (0.1, 0.9), "train_acc": (0.99, 0.65), "test_loss": (0.1, 1.0)}
for fig, metric, sign in (
    ("fig4", "train_loss", 1),
    ("fig12", "train_loss", 1),
    ("fig11", "train_acc", -1),
    ("fig11", "test_loss", 1),
):
    b30 = FIG4_FINAL[metric]["bn"][1]
    v10 = FIG4_FINAL[metric]["vanilla_xavier"][0]
    BREAKS += [
        (
            fig,
            f"pretrained_slows_down_less_than_bn[{metric}]",
            lambda m=metric: fig4_table({(m, "pretrained", 10): SLOWER[m][0], (m, "pretrained", 30): SLOWER[m][1]}),
            "pretrained still beats BN at depth 30 but worsens more with depth",
        ),
        (
            fig,
            f"pretrained_beats_bn_at_depth[{metric}]",
            lambda m=metric, p=b30 + sign * 0.02: fig4_table({(m, "pretrained", 30): p}),
            "2% worse than BN: no tolerance in BN's favour",
        ),
        (
            fig,
            f"pretrained_beats_bn_at_depth[{metric}]",
            lambda m=metric, b=b30, s=sign: fig4_table(
                {(m, "pretrained", 30): (b - s * 10 * abs(b), b + s * 0.05, b + s * 0.05)}
            ),
            "one very good seed carries the mean, but 2 of 3 seeds lose to BN",
        ),
        (
            fig,
            f"pretraining_slows_down_less_than_unpretrained[{metric}]",
            lambda m=metric, v=v10, s=sign: fig4_table({(m, "vanilla_xavier", 30): v + s * 0.001}),
            "the un-pretrained reference barely slows down",
        ),
    ]
for fig in ("fig4", "fig12"):
    BREAKS += [
        (
            fig,
            "pretrained_beats_bn_at_depth[train_loss]",
            lambda: fig4_table(
                {("train_loss", "pretrained", 30, 2): np.nan, ("diverged_epoch", "pretrained", 30, 2): 1}
            ),
            "a diverged seed: skipping it, the other two beat BN",
        ),
        (
            fig,
            "layerwise_pretraining_raises_r",
            lambda: fig4_table({("r_pre_after_pretraining", "pretrained", 30): 2.5}),
            "×1.7",
        ),
        (
            fig,
            "public_pretraining_raises_r_less",
            lambda: fig4_table({("r_pre_after_pretraining", "pretrained_public", 10): 10.0}),
            "the public pretraining raises r(H) ×10",
        ),
    ]

# Fig 14's tables live beside its other tests
THRESHOLDS["fig14"] = test_orthogonality.THRESHOLDS
GOOD["fig14"] = test_orthogonality.fig14_table
BREAKS += test_orthogonality.BREAKS

# Fig 15's tables live beside its other tests
THRESHOLDS["fig15"] = test_gradients.THRESHOLDS
GOOD["fig15"] = test_gradients.fig15_table
BREAKS += test_gradients.BREAKS

# Fig 16's tables live beside its other tests
THRESHOLDS["fig16"] = test_isometry.THRESHOLDS
GOOD["fig16"] = test_isometry.fig16_table
BREAKS += test_isometry.BREAKS


def limits(figure):
    """A figure's thresholds, and the convergence limits its claims check takes (the registry says which)."""
    return THRESHOLDS[figure] | {k: v for k, v in LIMITS.items() if k in FIGURES[figure].convergence["claims"]}


def rows_of(figure, table):
    return FIGURES[figure].claims(table, **limits(figure))


def run(figure, table):
    return statuses(rows_of(figure, table))


@pytest.mark.parametrize("figure", sorted(FIGURES))
def test_every_claim_holds_on_its_good_table(figure):
    result = run(figure, GOOD[figure]())
    assert result and set(result.values()) == {"holds"}, result


@pytest.mark.parametrize(("figure", "claim", "table", "why"), BREAKS, ids=[f"{f}:{c}:{w}" for f, c, _, w in BREAKS])
def test_a_claim_fails_on_a_table_that_breaks_it(figure, claim, table, why):
    assert run(figure, table())[claim] == "fails", why


@pytest.mark.parametrize("figure", sorted(FIGURES))
def test_every_claim_has_a_table_that_breaks_it(figure):
    broken = {c for f, c, *_ in BREAKS if f == figure}
    assert set(run(figure, GOOD[figure]())) == broken


def test_every_row_names_a_sentence_a_failure_condition_and_a_deciding_case():
    for figure in FIGURES:
        for row in rows_of(figure, GOOD[figure]()):
            # the reproduced paper's sentence, or a later source's, cited by authors and year (Figs 14-16)
            cited = re.match(r"[A-Z][\w ,.&]* (19|20)\d\d\b", row["paper"])
            assert row["paper"].startswith(("Sec.", "Fig.", "App.", "Theorem", "none:")) or cited, row
            assert "fail" in row["statement"], row
            assert row["deciding"] and row["seeds"], row


def test_a_single_width_leaves_the_slope_not_evaluated():
    table = fig3_table()
    one_width = table[(table["panel"] == "b") | (table["d"] == 8)]
    assert run("fig3", one_width)["rank_grows_at_least_like_sqrt_d[gamma=inf]"] == "not evaluated"


def test_the_deciding_case_names_the_width_and_numbers():
    rows = rows_of("fig3", fig3_table(rank=lambda d: 0.2 * np.sqrt(d)))
    row = next(r for r in rows if r["claim"] == "rank_above_theorem2_level[gamma=inf]")
    assert row["deciding"].startswith("d=") and "<" in row["deciding"]


def test_diverged_seeds_are_counted_behind_the_value():
    table = fig4_table({("train_loss", "pretrained", 30, 2): np.nan, ("diverged_epoch", "pretrained", 30, 2): 1})
    row = next(r for r in rows_of("fig4", table) if r["claim"].startswith("pretrained_beats_bn"))
    assert "pretrained 3 (1 diverged)" in row["seeds"]


def test_check_and_summary_carry_the_note():
    frame = claims.check(claims.fig2, fig2_table(), THRESHOLDS["fig2"], note="stand-in")
    assert list(frame.columns) == claims.COLUMNS
    assert (frame["note"] == "stand-in").all()
    text = claims.summary({"fig2": frame}, title="Claims")
    assert "2 holds, 0 fails, 0 not evaluated" in text
    assert "_Note: stand-in_" in text
    assert "collapses to a rank one matrix" in text  # the paper's sentence


# ---------------------------------------------------------------- one claim: a value and one comparison

COMPARISONS = [  # comparison, threshold, failing clause, a value that holds, one that fails
    (at_most(0.5), "<= 0.5", "fails above 0.5", 0.5, 0.51),
    (at_least(2), ">= 2", "fails below 2", 2, 1.99),
    (below(0.9), "< 0.9", "fails at 0.9 or above", 0.89, 0.9),
    (above(0), "> 0", "fails at 0 or below", 1e-9, 0),
    (within(1.3, 1.7), "in [1.3, 1.7]", "fails outside [1.3, 1.7]", 1.7, 1.71),
    (at_least(0.5 * math.sqrt(32), label="0.5·√d"), ">= 0.5·√d = 2.83", "fails below 0.5·√d", 2.9, 2.8),
    (at_most(64, label="0.5 × width 128"), "<= 0.5 × width 128 = 64", "fails above 0.5 × width 128", 64, 65),
    (
        Favours("pretrained", 0.5),
        "> 0, and better in > 0.5 of seed pairs",
        "fails unless both favour pretrained",
        Preference(advantage=0.1, fraction=0.6),
        Preference(advantage=0.1, fraction=0.5),
    ),
]


def a_claim(value, comparison):
    return claim(name="c", paper="Sec. 1", measured="what is measured", value=value, comparison=comparison)


@pytest.mark.parametrize(("comparison", "threshold", "failing", "holding", "failing_value"), COMPARISONS)
def test_one_comparison_gives_the_threshold_the_failing_clause_and_the_status(
    comparison, threshold, failing, holding, failing_value
):
    assert (comparison.threshold, comparison.failing) == (threshold, failing)
    row = a_claim(holding, comparison)
    assert list(row) == claims.COLUMNS
    assert row["statement"] == f"what is measured; {failing}" and row["threshold"] == threshold
    assert row["status"] == "holds" and row["value"] == float(holding)
    assert a_claim(failing_value, comparison)["status"] == "fails"


@pytest.mark.parametrize("comparison", [c for c, *_ in COMPARISONS])
@pytest.mark.parametrize("value", [None, math.nan, np.float64("nan")])
def test_no_value_is_not_evaluated(comparison, value):
    row = a_claim(value, comparison)
    assert row["status"] == "not evaluated" and math.isnan(row["value"])
    assert row["threshold"] == comparison.threshold  # still says what it would be held to


def test_a_preference_is_its_advantage_and_both_infinite_is_not_better():
    p = Preference.of([1.0, 2.0], [3.0, 0.5], lower_is_better=True)
    assert p.advantage == pytest.approx(0.25) and p.fraction == 0.5
    row = a_claim(p, Favours("ours", 0.5))
    assert row["value"] == pytest.approx(0.25) and row["status"] == "fails"  # half the pairs: not a majority
    worse = Preference.of([math.inf], [math.inf], lower_is_better=True)
    assert worse.advantage == -math.inf and a_claim(worse, Favours("ours", 0.0))["status"] == "fails"


def test_a_comparison_needs_a_known_operator_and_a_matching_limit():
    for op, limit in (("==", 1.0), ("in", 1.0), ("<=", (1.0, 2.0))):
        with pytest.raises(ValueError):
            Comparison(op, limit)


def test_the_extreme_over_variants_is_unknown_when_one_has_no_value():
    assert lowest_of({"a": 0.5, "b": 0.2}) == ("b", 0.2) and highest_of({"a": 0.5, "b": 0.2}) == ("a", 0.5)
    for values in ({"a": math.nan, "b": 0.2}, {"b": 0.2, "a": math.nan}):
        for extreme in (lowest_of, highest_of):
            key, value = extreme(values)
            assert key == "a" and math.isnan(value)


@pytest.mark.parametrize("variant", ["none", "none_random"])
def test_fig10_a_variant_without_alignment_leaves_the_claim_not_evaluated(variant):
    """Not decided by the order of the variants: before, a random-data net with no
    alignment at any iteration left the claim to the other net's curve (holds)."""
    table = cnn_table({("alignment", variant, i): np.nan for i in (0, 50, 100)})
    row = next(r for r in rows_of("fig10", table) if r["claim"] == "no_bn_gradients_aligned")
    assert row["status"] == "not evaluated", row
    assert row["deciding"].startswith(f"{variant} at no iteration"), row


# ---------------------------------------------------------------- a claim on trained networks waits for its reference

TRAINING = [f for f in sorted(FIGURES) if FIGURES[f].experiment]
STILL_LEARNING = {  # the reference (BN) still learning: its training loss fell 35% over the window
    "fig1": lambda: fig1_table(fell={("bn", d): 0.35 for d in (1, 4, 16, 32)}),
    "fig6": lambda: fig6_table(fell={"bn": 0.35}),
    **{f: lambda: fig4_table(fell={("bn", d): 0.35 for d in (10, 30)}) for f in ("fig4", "fig11", "fig12")},
    **{f: lambda: cnn_table(fell={"bn": 0.35}) for f in ("fig5", "fig7", "fig10", "fig13")},
}
UNGATED = {  # claims about initialisation, or about pretraining's effect on r(H) before training
    "fig1": {"vanilla_rank_collapses", "vanilla_r_collapses", "bn_rank_stays_high"},
    "fig4": {"layerwise_pretraining_raises_r", "public_pretraining_raises_r_less"},
    "fig12": {"layerwise_pretraining_raises_r", "public_pretraining_raises_r_less"},
    "fig6": {"pretraining_raises_r", "asymmetric_init_lowers_bn_r"},
}


def test_the_training_figures_take_the_convergence_settings_and_the_chain_figures_none():
    for name, figure in FIGURES.items():
        if figure.experiment:  # the table builder the window, the claims check the limits
            assert figure.convergence == {"table": ["window"], "claims": list(LIMITS)}, name
            assert not set(LIMITS) & set(figure.thresholds) and "window" not in figure.table_settings
        else:
            assert figure.convergence == {"table": [], "claims": []}, name


@pytest.mark.parametrize("figure", TRAINING)
def test_a_reference_still_learning_leaves_the_claims_after_training_not_evaluated(figure):
    rows = rows_of(figure, STILL_LEARNING[figure]())
    assert {r["claim"] for r in rows} == set(run(figure, GOOD[figure]()))  # the same claims, every one reported
    for row in rows:
        if row["claim"] in UNGATED.get(figure, set()):  # still decided
            assert row["status"] == "holds", row
        else:
            assert row["status"] == "not evaluated" and math.isnan(row["value"]), row
            assert row["deciding"].startswith("not decided: bn") and "still learning" in row["deciding"], row
            assert "training loss fell 35%" in row["deciding"] and "limit 10%" in row["deciding"], row
            assert row["seeds"], row  # still says which seeds the value would have come from


@pytest.mark.parametrize("figure", TRAINING)
def test_a_converged_reference_decides_every_claim(figure):
    """The good tables' reference flattened (5% over the window, within 10%): nothing waits."""
    rows = rows_of(figure, GOOD[figure]())
    assert all(r["status"] == "holds" and not r["deciding"].startswith("not decided") for r in rows)


def test_the_deciding_case_says_why_and_with_what_numbers():
    table = fig1_table(fell={("bn", 32): 0.35})
    row = next(r for r in rows_of("fig1", table) if r["claim"] == "bn_accuracy_barely_falls")
    assert row["deciding"] == (
        "not decided: bn at depth 32 still learning — training loss fell 35% over the last 33.3% of the run "
        "(epoch 2 → 3; limit 10%), training accuracy 0.84 < 0.99"
    )


def test_every_depth_a_claim_reads_must_have_converged_and_the_worst_is_named():
    fell = {("bn", 16): 0.2, ("bn", 32): 0.35}
    rows = {r["claim"]: r for r in rows_of("fig1", fig1_table(fell=fell))}
    vanilla = rows["vanilla_accuracy_falls_past_depth"]  # reads every depth
    assert vanilla["status"] == "not evaluated"
    assert vanilla["deciding"].startswith("not decided: bn at depth 32 still learning — training loss fell 35%")
    assert vanilla["deciding"].endswith("not converged either: bn at depth 16")
    only_16 = {r["claim"]: r for r in rows_of("fig1", fig1_table(fell={("bn", 16): 0.2}))}
    assert only_16["vanilla_accuracy_falls_past_depth"]["status"] == "not evaluated"
    assert (
        "bn at depth 16 still learning — training loss fell 20%"
        in only_16["vanilla_accuracy_falls_past_depth"]["deciding"]
    )
    assert only_16["bn_accuracy_barely_falls"]["status"] == "holds"  # reads depths 1 and 32 only
    deep = rows_of("fig4", fig4_table(fell={("bn", 10): 0.35}))  # depth 10: the slow-downs read it, depth 30 does not
    assert {r["claim"]: r["status"] for r in deep if r["claim"].startswith("pretrained_")} == {
        "pretrained_slows_down_less_than_bn[train_loss]": "not evaluated",
        "pretrained_beats_bn_at_depth[train_loss]": "holds",
    }


def test_a_fitted_reference_has_converged_though_its_loss_still_falls():
    """A fitted net's cross-entropy keeps falling towards 0 in relative terms."""
    fitted = {("train_acc", "bn", d): 0.995 for d in (1, 4, 16, 32)}
    result = run("fig1", fig1_table(fitted, fell={("bn", d): 0.35 for d in (1, 4, 16, 32)}))
    assert set(result.values()) == {"holds"}
    assert run("fig5", cnn_table({("train_acc", "bn", 100): 0.995}, fell={"bn": 0.35}))["standard_bn_fits"] == "holds"


def test_a_converged_run_that_contradicts_the_paper_fails():
    """Not a way to hide a failure: the reference flattened at an accuracy the paper's
    sentence rules out, and the claims about it fail."""
    flat_low = fig1_table({("train_acc", "bn", 32): 0.5})
    assert run("fig1", flat_low)["bn_accuracy_barely_falls"] == "fails"
    result = run("fig5", cnn_table({("train_acc", "bn", 100): 0.3}))
    assert result["standard_bn_fits"] == "fails" and result["asymmetric_init_does_not_fit"] == "holds"
    trains = cnn_table({("train_acc", "none_lr100", 100): 0.6})  # no BN at 100× lr trains, and BN has converged
    assert run("fig10", trains)["no_bn_does_not_train"] == "fails"


@pytest.mark.parametrize(
    ("figure", "table", "reference"),
    [
        (
            "fig1",
            lambda: fig1_table({("train_acc", "bn", 32, 1): np.nan, ("diverged_epoch", "bn", 32, 1): 2}),
            "bn at depth 32",
        ),
        ("fig5", lambda: cnn_table(diverged=("bn", 1, 50)), "bn"),
    ],
)
def test_a_diverged_reference_decides_its_claims(figure, table, reference):
    """A diverged seed is a final state, not an unfinished run: the claims are decided, and
    those about the reference itself fail (the seed counts with its worst value)."""
    rows = {r["claim"]: r for r in rows_of(figure, table())}
    assert all(r["status"] != "not evaluated" for r in rows.values())
    about_reference = {"fig1": "bn_accuracy_barely_falls", "fig5": "standard_bn_fits"}[figure]
    assert rows[about_reference]["status"] == "fails"


def reference_runs(before, after, accuracy, diverged=(None, None)):
    """Two seeds of a reference at the end of a 4-epoch run, the window from epoch 3."""
    return pd.DataFrame(
        {
            "seed": [0, 1],
            "epoch": 4,
            "train_loss": after,
            "train_acc": accuracy,
            "window_start": 3,
            "train_loss_window_start": before,
            "diverged_epoch": list(diverged),
        }
    )


def test_the_convergence_test():
    test = ConvergenceTest(max_relative_improvement=0.125, fit_accuracy=0.99)
    assert test.undecided({"bn": reference_runs(2.0, 1.75, 0.5)}) is None  # fell 12.5%: at the limit, flattened
    assert test.undecided({"bn": reference_runs(2.0, 1.5, 0.5)}) == (
        "bn still learning — training loss fell 25% over the last 25% of the run (epoch 3 → 4; limit 12.5%), "
        "training accuracy 0.5 < 0.99"
    )
    assert test.undecided({"bn": reference_runs(2.0, 1.0, 0.99)}) is None  # fitted
    assert test.undecided({"bn": reference_runs(1.0, 1.4, 0.5)}) is None  # rising: no longer learning either
    assert test.undecided({"bn": reference_runs([2.0, 1.0], [1.0, 1.9], 0.5)}) is None  # the mean curve: 1.5 → 1.45
    unmeasured = test.undecided({"bn": reference_runs(np.nan, 1.0, 0.5)})
    assert unmeasured == "bn: no training loss at epoch 3 → 4 to tell; training accuracy 0.5 < 0.99"
    assert test.undecided({"bn": reference_runs(2.0, 2.0, 0.5, (None, 2))}) is None  # diverged: final, decided
    assert test.undecided({"bn": reference_runs(2.0, 2.0, 0.5).iloc[:0]}) == "no runs of bn in the table"
    both = {"a": reference_runs(2.0, 1.5, 0.5), "b": reference_runs(2.0, 1.0, 0.5), "c": reference_runs(2.0, 2.0, 0)}
    assert test.undecided(both).startswith("b still learning — training loss fell 50%")
    assert test.undecided(both).endswith("; not converged either: a")


@pytest.mark.parametrize("value", [0.1, 0.9, None])
def test_an_undecided_claim_is_not_evaluated_whatever_its_value(value):
    row = claim(
        name="c", paper="Sec. 1", measured="m", value=value, comparison=at_most(0.5), deciding="x", undecided="why"
    )
    assert row["status"] == "not evaluated" and math.isnan(row["value"]) and row["deciding"] == "not decided: why"
    assert row["threshold"] == "<= 0.5"
