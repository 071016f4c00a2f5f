"""The claims of the trained CNNs (Figs 5, 7, 10, 13), over the recorded iterations.

Every one is read from trained networks, so each is decided only once the figure's
reference (the variant the paper says trains: ``standard`` in Figs 5 and 13, ``bn`` in
Figs 7 and 10) has converged over its seeds (``ConvergenceTest``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bnrank.claims.common import (
    ConvergenceTest,
    at_least,
    at_most,
    claim,
    highest_of,
    lowest_of,
    where_max,
    where_min,
    with_diverged,
)


def _runs(table: pd.DataFrame, variant: str, metric: str, diverged_worst: bool = True) -> pd.DataFrame:
    """``metric`` of a variant's runs, iterations × seeds. A diverged run stops recording:
    it keeps its worst value (``worst``) from then on, unless ``diverged_worst`` is off
    (a quantity, like the alignment, that a diverged net does not have)."""
    runs = table[table["variant"] == variant]
    values = with_diverged(runs, metric) if diverged_worst else runs[metric]
    wide = runs.assign(value=values).pivot(index="iteration", columns="seed", values="value")
    return wide.ffill() if diverged_worst else wide


def _curve(table: pd.DataFrame, variant: str, metric: str, diverged_worst: bool = True) -> pd.Series:
    """The mean over seeds of ``metric`` at each recorded iteration (NaN where no seed has it)."""
    return _runs(table, variant, metric, diverged_worst).mean(axis=1)


def _last(table: pd.DataFrame, variant: str, metric: str) -> pd.Series:
    """Each seed's ``metric`` at the last iteration, diverged seeds at their worst."""
    return _runs(table, variant, metric).iloc[-1]


def _cnn_seeds(table: pd.DataFrame, *variants: str) -> str:
    """'<variant> <seeds> (<k> diverged)' for each variant."""
    parts = []
    for v in variants:
        runs = table[table["variant"] == v]
        diverged = runs.loc[runs["diverged_iteration"].notna(), "seed"].nunique()
        parts.append(f"{v} {runs['seed'].nunique()}" + (f" ({diverged} diverged)" if diverged else ""))
    return ", ".join(parts)


def _undecided(table: pd.DataFrame, reference: str, max_relative_improvement: float, fit_accuracy: float) -> str | None:
    """Why the figure's claims cannot be decided (its ``reference`` has not converged), or None."""
    test = ConvergenceTest(max_relative_improvement, fit_accuracy)
    return test.undecided({reference: table[table["variant"] == reference]})


def _worst_iteration(gap: pd.Series) -> str:
    at = where_max(gap)
    return f"iteration {at}" if at is not None else "no iteration"


def breaking_bn(
    table: pd.DataFrame,
    standard: str,
    asymmetric: str,
    nocenter: str,
    max_rank_ratio: float,
    max_asymmetric_accuracy: float,
    min_standard_accuracy: float,
    max_accuracy_gap: float,
    *,
    max_relative_improvement: float,
    fit_accuracy: float,
) -> list[dict]:
    """Figs 5 and 13: the asymmetric init keeps BN's last-layer rank far lower and the net
    near chance while standard BN trains; BN without centring trains like BN. Decided once
    ``standard`` has converged."""
    undecided = _undecided(table, standard, max_relative_improvement, fit_accuracy)
    breaking = 'Sec. 4: "this small change reduces the rank preserving quality of BN significantly"'
    unfit = (
        'Sec. 4: "Even sophisticated modern day architectures such as VGG and ResNet networks are unable to fit the '
        'CIFAR-10 dataset after changing the initialization in this way"'
    )
    rank_asym, rank_std = _curve(table, asymmetric, "matrix_rank"), _curve(table, standard, "matrix_rank")
    ratio = rank_asym / rank_std
    asym_acc, std_acc = _last(table, asymmetric, "train_acc"), _last(table, standard, "train_acc")
    nocenter_acc = _last(table, nocenter, "train_acc")
    last = table["iteration"].max()
    worst = where_max(ratio)
    return [
        claim(
            name="asymmetric_init_lowers_rank",
            paper=breaking + " (Figs. 5, 13, right: matrix_rank of the last hidden layer)",
            measured=f"mean matrix_rank of the last hidden layer, {asymmetric} over {standard}, at every recorded "
            "iteration; value: the largest ratio",
            value=ratio.max(),
            comparison=at_most(max_rank_ratio),
            deciding=f"iteration {worst}: {asymmetric} {rank_asym[worst]:.3g}, {standard} {rank_std[worst]:.3g}"
            if worst is not None
            else "",
            seeds=_cnn_seeds(table, asymmetric, standard),
            undecided=undecided,
        ),
        claim(
            name="asymmetric_init_does_not_fit",
            paper=unfit,
            measured=f"final training accuracy (iteration {last}) of every {asymmetric} seed, near chance (0.1); "
            "value: the highest",
            value=asym_acc.max(),
            comparison=at_most(max_asymmetric_accuracy),
            deciding=" ".join(f"seed {s}: {a:.3g}" for s, a in asym_acc.items()),
            seeds=_cnn_seeds(table, asymmetric),
            undecided=undecided,
        ),
        claim(
            name="standard_bn_fits",
            paper=unfit + " — while the standard init trains (Figs. 5, 13, left)",
            measured=f"final training accuracy of every {standard} seed; value: the lowest",
            value=std_acc.min(),
            comparison=at_least(min_standard_accuracy),
            deciding=" ".join(f"seed {s}: {a:.3g}" for s, a in std_acc.items()),
            seeds=_cnn_seeds(table, standard),
            undecided=undecided,
        ),
        claim(
            name="nocenter_trains_like_bn",
            paper='App. (Comment on BN-centering): "we empirically observed that Bn without centering also works well '
            'on modern neural architectures"',
            measured=f"|mean final training accuracy of {nocenter} − that of {standard}|",
            value=abs(nocenter_acc.mean() - std_acc.mean()),
            comparison=at_most(max_accuracy_gap),
            deciding=f"{nocenter} {nocenter_acc.mean():.3g}, {standard} {std_acc.mean():.3g}",
            seeds=_cnn_seeds(table, nocenter, standard),
            undecided=undecided,
        ),
    ]


def fig7(
    table: pd.DataFrame,
    bn: str,
    nocenter: str,
    max_accuracy_gap: float,
    max_r_ratio: float,
    *,
    max_relative_improvement: float,
    fit_accuracy: float,
) -> list[dict]:
    """BN without centring matches BN in training accuracy and r(H) over iterations; decided
    once ``bn`` has converged."""
    undecided = _undecided(table, bn, max_relative_improvement, fit_accuracy)
    paper = (
        'App. (Comment on BN-centering): "Fig. 7 shows that the centering does not affect the performance of Bn on a '
        'VGG net when training CIFAR-10"'
    )
    acc_nc, acc_bn = _curve(table, nocenter, "train_acc"), _curve(table, bn, "train_acc")
    acc_gap = (acc_nc - acc_bn).abs()
    r_nc, r_bn = _curve(table, nocenter, "lower_bound"), _curve(table, bn, "lower_bound")
    r_ratio = np.maximum(r_nc / r_bn, r_bn / r_nc)
    seeds = _cnn_seeds(table, nocenter, bn)
    a, r = where_max(acc_gap), where_max(r_ratio)
    return [
        claim(
            name="nocenter_matches_bn_accuracy",
            paper=paper,
            measured=f"|mean training accuracy of {nocenter} − {bn}| at every recorded iteration; value: the largest",
            value=acc_gap.max(),
            comparison=at_most(max_accuracy_gap),
            deciding=f"iteration {a}: {nocenter} {acc_nc[a]:.3g}, {bn} {acc_bn[a]:.3g}" if a is not None else "",
            seeds=seeds,
            undecided=undecided,
        ),
        claim(
            name="nocenter_matches_bn_r",
            paper=paper + " (Fig. 7, right: r(H_L) of the last hidden layer)",
            measured=f"mean r(H) of the last hidden layer, {nocenter} against {bn}, larger over smaller, at every "
            "recorded iteration; value: the largest",
            value=r_ratio.max(),
            comparison=at_most(max_r_ratio),
            deciding=f"iteration {r}: {nocenter} {r_nc[r]:.3g}, {bn} {r_bn[r]:.3g}" if r is not None else "",
            seeds=seeds,
            undecided=undecided,
        ),
    ]


def fig10(
    table: pd.DataFrame,
    bn: str,
    none: str,
    high_lr: str,
    random: str,
    min_alignment: float,
    max_accuracy: float,
    max_path_gap: float,
    min_alignment_gap: float,
    *,
    max_relative_improvement: float,
    fit_accuracy: float,
) -> list[dict]:
    """Without BN the final layer's per-sample gradients are aligned and the net does not
    train, even at 100× the learning rate, taking nearly the same path on random images;
    with BN the alignment stays clearly lower.

    The alignment leaves out samples whose last hidden representation is all zero (no
    direction); an iteration where fewer than two samples of a run have one has no
    alignment for that run. A variant with no alignment (or no final accuracy) at all
    leaves its claim not evaluated (``lowest_of``, ``highest_of``). Decided once ``bn`` has
    converged: "does not train" means something only where BN trains in the same budget."""
    undecided = _undecided(table, bn, max_relative_improvement, fit_accuracy)
    appendix = "App. (Fig. 10): "
    aligned = {v: _curve(table, v, "alignment", diverged_worst=False) for v in (none, random)}
    low_variant, lowest = lowest_of({v: c.min() for v, c in aligned.items()})
    finals = {v: _last(table, v, "train_acc") for v in (none, high_lr)}
    _, highest = highest_of({v: f.max() for v, f in finals.items()})
    acc_none, acc_random = _curve(table, none, "train_acc"), _curve(table, random, "train_acc")
    path_gap = (acc_none - acc_random).abs()
    p = where_max(path_gap)
    bn_gap = aligned[none] - _curve(table, bn, "alignment", diverged_worst=False)
    g = where_min(bn_gap)
    zero = table[table["variant"] == high_lr]["zero_samples"]
    return [
        claim(
            name="no_bn_gradients_aligned",
            paper=appendix + '"the network shows perfectly aligned gradients without Bn"',
            measured=f"mean |cos| between per-sample gradients of the final layer (= |cos(h_i, h_j)|, Prop. 19) of "
            f"{none} and {random}, at every recorded iteration; value: the lowest",
            value=lowest,
            comparison=at_least(min_alignment),
            deciding=f"{low_variant} at {_worst_iteration(-aligned[low_variant])}: {lowest:.3g}; {high_lr}: up to "
            f"{int(zero.max()) if len(zero) else 0} samples without a direction",
            seeds=_cnn_seeds(table, none, random),
            undecided=undecided,
        ),
        claim(
            name="no_bn_does_not_train",
            paper=appendix + '"which renders it un-trainable", "even a 100x increase in the learning rate does not '
            'allow training"',
            measured=f"final training accuracy of every {none} and {high_lr} seed, near chance (0.1); value: the "
            "highest",
            value=highest,
            comparison=at_most(max_accuracy),
            deciding="; ".join(f"{v}: " + " ".join(f"{a:.3g}" for a in f) for v, f in finals.items()),
            seeds=_cnn_seeds(table, none, high_lr),
            undecided=undecided,
        ),
        claim(
            name="random_data_same_path",
            paper=appendix + '"SGD takes almost the exact same path on this data (compare log accuracy on the left '
            'hand side)"',
            measured=f"|mean training accuracy of {none} − {random}| at every recorded iteration; value: the largest",
            value=path_gap.max(),
            comparison=at_most(max_path_gap),
            deciding=_worst_iteration(path_gap)
            + (f": {none} {acc_none[p]:.3g}, {random} {acc_random[p]:.3g}" if p is not None else ""),
            seeds=_cnn_seeds(table, none, random),
            undecided=undecided,
        ),
        claim(
            name="bn_alignment_below_no_bn",
            paper=appendix + "BN + SGD against no BN + SGD (Fig. 10, right), the contrast of Prop. 19",
            measured=f"mean alignment of {none} minus that of {bn} at every recorded iteration; value: the smallest",
            value=bn_gap.min(),
            comparison=at_least(min_alignment_gap),
            deciding=f"iteration {g}: {none} {aligned[none][g]:.3g}, {bn} {aligned[none][g] - bn_gap[g]:.3g}"
            if g is not None
            else "",
            seeds=_cnn_seeds(table, none, bn),
            undecided=undecided,
        ),
    ]
