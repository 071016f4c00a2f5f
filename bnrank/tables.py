"""Figure tables: the exact numbers each figure plots, built from simulation outputs.

A figure's table is the single source of both its picture (``bnrank.plots``) and its
claims (``bnrank.claims``). Every builder takes data frames read from the simulation
files and the figure's settings, and returns one tidy frame.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from bnrank.chains.mean_field import bn_linear_gradient_rate, bn_relu_gradient_rate_limit, floor, hermite_constants
from bnrank.chains.theory import ergodic_average, lemma13_bound, regularity_constant
from bnrank.claims.chains import log_slope, loglog_slope
from bnrank.rank import notion_column
from bnrank.settings import RankNotion


def _ordered(table: pd.DataFrame, first: Sequence[str], sort: Sequence[str] | None = None) -> pd.DataFrame:
    """``table`` with the ``first`` columns leading, the rest after, rows sorted by ``sort``."""
    table = table[list(first) + [c for c in table.columns if c not in first]]
    return table if sort is None else table.sort_values(list(sort), ignore_index=True)


def _last_hidden(ranks: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Rank rows of each network's last hidden layer, with r(H) of its pre-activation as
    ``r_pre`` and of its output as ``r_post``."""
    r = pd.concat(ranks, ignore_index=True)
    return r[r["layer"] == r["depth"]].rename(columns={"lower_bound_pre": "r_pre", "lower_bound": "r_post"})


def _with_rank(frame: pd.DataFrame, rank: str, tau: float | None) -> pd.DataFrame:
    """Copy of ``frame`` with a ``rank`` column holding the plotted rank notion."""
    return frame.assign(rank=frame[notion_column(rank, tau)], rank_notion=notion_column(rank, tau))


def fig2(depth_sweep: pd.DataFrame, rank: RankNotion, tau: float | None = None) -> pd.DataFrame:
    """Rank of the last hidden layer over depth, per network, activation and run."""
    table = _with_rank(depth_sweep, rank, tau)
    first = ["network", "activation", "run", "depth", "rank", "rank_notion", "d"]
    return _ordered(table, first)


def fig3(
    width_ranks: Sequence[pd.DataFrame], spectrum: pd.DataFrame, rank: RankNotion, tau: float | None = None
) -> pd.DataFrame:
    """Panel a: rank samples along each (d, γ) chain, with √d and Theorem 2's level
    (1−τ)²·√d (τ = 0 unless the plotted notion is the soft rank); panel b: top
    eigenvalues over depth."""
    a = _with_rank(pd.concat(width_ranks, ignore_index=True), rank, tau).assign(panel="a")
    sqrt_d = np.sqrt(a["d"].to_numpy(float))
    a = a.assign(sqrt_d=sqrt_d, theorem2_bound=(1 - (tau if rank == "soft_rank" else 0.0)) ** 2 * sqrt_d)
    b = spectrum.assign(panel="b")
    first = ["panel", "d", "gamma", "run", "layer", "rank", "rank_notion"]
    table = pd.concat([a, b], ignore_index=True)
    return _ordered(table, first)


def _log_spaced(n: int, points: int) -> np.ndarray:
    """About ``points`` indices into range(n), evenly spaced on a log scale, last included."""
    return np.unique(np.geomspace(1, n, min(points, n)).round().astype(int) - 1)


def fig8(width_moments: Sequence[pd.DataFrame], points: int) -> pd.DataFrame:
    """Ergodic estimate of the regularity constant α against the averaging length L."""
    curves = []
    for (d, gamma, run), chain in pd.concat(width_moments).groupby(["d", "gamma", "run"]):
        chain = chain.sort_values("layer")
        diag_sq, tr_m3 = ergodic_average(chain["diag_sq"].to_numpy()), ergodic_average(chain["tr_m3"].to_numpy())
        keep = _log_spaced(len(chain), points)
        curves.append(
            pd.DataFrame(
                {
                    "d": d,
                    "gamma": gamma,
                    "run": run,
                    "L": chain["layer"].to_numpy()[keep],
                    "samples": keep + 1,
                    "alpha": regularity_constant(diag_sq, tr_m3)[keep],
                    "diag_sq_avg": diag_sq[keep],
                    "tr_m3_avg": tr_m3[keep],
                }
            )
        )
    return pd.concat(curves, ignore_index=True)


def fig9(width_moments: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Ergodic estimate of E_ν‖M‖_F² per (d, γ), with the Lemma-13 bound and d^1.5."""
    groups = pd.concat(width_moments).groupby(["d", "gamma"])
    table = groups[["frob2", "diag_sq", "tr_m3"]].mean()
    table["frob2_sd"] = groups["frob2"].std()
    table["samples"] = groups.size()
    table = table.reset_index()
    table["alpha"] = regularity_constant(table["diag_sq"], table["tr_m3"])
    table["bound"] = lemma13_bound(table["alpha"], table["d"])
    table["d_pow_1_5"] = table["d"].astype(float) ** 1.5
    return table[["d", "gamma", "frob2", "bound", "alpha", "d_pow_1_5", "frob2_sd", "samples", "diag_sq", "tr_m3"]]


def select_learning_rates(metrics: Sequence[pd.DataFrame], lr_rule: str, seeds: Sequence[int]) -> pd.DataFrame:
    """The learning rate of each (variant, depth) by ``lr_rule``, over the mean across ``seeds``.

    ``best_final_train_loss``: lowest mean final training loss; ``best_final_train_acc``:
    highest mean final training accuracy. A model that diverged counts as the worst.
    ``seeds`` are the experiment's selection seeds, separate from the reported ones when
    ``experiments.<name>.selection_seeds`` > 0.
    """
    frame = pd.concat(metrics, ignore_index=True)
    frame = frame[frame["seed"].isin(seeds)]
    final = frame[frame["epoch"] == frame["epoch"].max()]
    column, worst = ("train_loss", np.inf) if lr_rule == "best_final_train_loss" else ("train_acc", -np.inf)
    scores = final.assign(score=final[column].fillna(worst)).groupby(["variant", "depth", "lr"])["score"].mean()
    best = scores.groupby(["variant", "depth"]).idxmin() if worst > 0 else scores.groupby(["variant", "depth"]).idxmax()
    chosen = pd.DataFrame(best.tolist(), columns=["variant", "depth", "lr"])
    return chosen.assign(
        lr_rule=lr_rule,
        score=scores.loc[best.tolist()].to_numpy(),
        selected_on_seeds=" ".join(map(str, sorted(seeds))),
    )


def convergence_window(curves: pd.DataFrame, runs: Sequence[str], step: str, window: float) -> pd.DataFrame:
    """Per run (each combination of the ``runs`` columns of ``curves``): ``window_start``, the
    ``step`` (epoch, or recorded iteration) at which the last ``window`` of the run begins, and
    ``train_loss_window_start``, the run's training loss there: what the claims need to tell
    whether the run's training loss had flattened by its end (``claims.common.ConvergenceTest``).

    The window is ``window`` × the run's steps, rounded up, at least one step; it starts no
    earlier than the first step with a training loss (step 0 is the initialisation, which has
    none) unless the run has a single step. Every run of a table shares the steps: those of
    ``curves`` (a run that diverged stopped early and has no loss there)."""
    steps = np.sort(curves[step].unique())
    back = max(1, math.ceil(window * (len(steps) - 1) - 1e-9))
    first = min(1, len(steps) - 2) if len(steps) > 1 else 0
    start = steps[max(first, len(steps) - 1 - back)]
    at_start = curves.loc[curves[step] == start, [*runs, "train_loss"]].rename(
        columns={"train_loss": "train_loss_window_start"}
    )
    keys = curves[list(runs)].drop_duplicates()
    return keys.merge(at_start, on=list(runs), how="left").assign(window_start=start)


def _with_window(table: pd.DataFrame, runs: Sequence[str], step: str, window: float) -> pd.DataFrame:
    """``table`` with each run's ``convergence_window`` columns on every row of the run."""
    return table.merge(convergence_window(table, runs, step, window), on=list(runs), how="left")


def _selected(
    metrics: Sequence[pd.DataFrame], selected: pd.DataFrame, variants: dict, seeds: Sequence[int]
) -> pd.DataFrame:
    """Training metrics of the reported ``seeds`` at the selected learning rate of each
    (variant, depth), with the seeds it was selected on and each variant's
    normalisation, init scheme, input scale and pretraining."""
    frame = pd.concat(metrics, ignore_index=True).drop(columns="model")  # a job's index: depends on its stack
    frame = frame[frame["seed"].isin(seeds)].merge(
        selected[["variant", "depth", "lr", "selected_on_seeds"]], on=["variant", "depth", "lr"]
    )
    columns = ["norm", "init", "input_scale", "pretrain", "pretrain_iterations"]
    kinds = pd.DataFrame([{"variant": v, **{c: s.get(c) for c in columns}} for v, s in variants.items()])
    return frame.merge(kinds.fillna({"pretrain": ""}), on="variant")


def fig1(
    init_ranks: Sequence[pd.DataFrame],
    metrics: Sequence[pd.DataFrame],
    selected: pd.DataFrame,
    variants: dict,
    width: int,
    dataset: str,
    seeds: Sequence[int],
    window: float,
) -> pd.DataFrame:
    """Per (network, depth, seed): rank and r(H) of the last hidden layer at init; the final
    epoch's training accuracy and loss, and the loss where the convergence ``window`` starts
    (``convergence_window``: the table holds no curves)."""
    ranks = _last_hidden(init_ranks)
    ranks = ranks.rename(columns={"matrix_rank": "rank_init", "r_post": "lower_bound_init", "dtype": "rank_dtype"})
    ranks = ranks[["variant", "depth", "seed", "rank_init", "lower_bound_init", "rank_dtype"]]
    trained = _with_window(_selected(metrics, selected, variants, seeds), ["variant", "depth", "seed"], "epoch", window)
    final = trained[trained["epoch"] == trained["epoch"].max()]
    final = final[
        ["variant", "depth", "seed", "lr", "epoch", "train_acc", "train_loss", "test_acc", "diverged_epoch"]
        + ["window_start", "train_loss_window_start"]
    ]
    table = ranks.merge(final, on=["variant", "depth", "seed"], how="outer").rename(columns={"variant": "network"})
    first = ["network", "depth", "seed", "rank_init", "train_acc"]
    table = table.assign(width=width, dataset=dataset)
    return _ordered(table, first, ["network", "depth", "seed"])


def _pretraining_gain(pretrain_ranks: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """r(H) of the last hidden layer (pre- and post-activation) before and after
    pretraining, per (variant, depth, seed)."""
    if not pretrain_ranks:
        return pd.DataFrame(columns=["variant", "depth", "seed"])
    wide = _last_hidden(pretrain_ranks).pivot_table(
        index=["variant", "depth", "seed"], columns="stage", values=["r_pre", "r_post"]
    )
    wide.columns = [f"{value}_{stage}_pretraining" for value, stage in wide.columns]
    return wide.reset_index()


def training_curves(
    metrics: Sequence[pd.DataFrame],
    selected: pd.DataFrame,
    pretrain_ranks: Sequence[pd.DataFrame],
    variants: dict,
    dataset: str,
    seeds: Sequence[int],
    window: float,
) -> pd.DataFrame:
    """Figs 4, 11, 12: per (variant, depth, seed, epoch) metrics at the selected learning
    rate, and for pretrained variants r(H) of the last hidden layer before and after
    pretraining (``r_pre_*``: pre-activation, ``r_post_*``: the layer's output); each run's
    convergence ``window`` (``convergence_window``)."""
    table = _selected(metrics, selected, variants, seeds).assign(dataset=dataset)
    table = _with_window(table, ["variant", "depth", "seed"], "epoch", window)
    table = table.merge(_pretraining_gain(pretrain_ranks), on=["variant", "depth", "seed"], how="left")
    first = ["variant", "depth", "seed", "epoch", "lr", "train_loss", "train_acc", "test_loss", "test_acc"]
    return _ordered(table, first, ["variant", "depth", "seed", "epoch"])


def fig6(
    metrics: Sequence[pd.DataFrame],
    ranks: Sequence[pd.DataFrame],
    selected: pd.DataFrame,
    variants: dict,
    dataset: str,
    seeds: Sequence[int],
    window: float,
) -> pd.DataFrame:
    """Per (variant, seed, epoch): training accuracy and r(H) of the last hidden layer,
    on its pre-activation (``r_pre``, where Algorithm 1 maximises it; plotted) and on its
    output (``r_post``); each run's convergence ``window`` (``convergence_window``)."""
    table = _selected(metrics, selected, variants, seeds).assign(dataset=dataset)
    table = _with_window(table, ["variant", "depth", "seed"], "epoch", window)
    r = _last_hidden(ranks)[["variant", "depth", "seed", "lr", "epoch", "r_pre", "r_post", "matrix_rank", "dtype"]]
    table = table.merge(r, on=["variant", "depth", "seed", "lr", "epoch"])
    first = ["variant", "seed", "epoch", "train_acc", "r_pre", "r_post", "lr", "depth"]
    return _ordered(table, first, ["variant", "seed", "epoch"])


def cnn_curves(cnn_logs: Sequence[pd.DataFrame], dataset: str, show: tuple[str, ...], window: float) -> pd.DataFrame:
    """Figs 5, 7, 10, 13: per (variant, seed, iteration) the training accuracy and loss, and
    the last hidden layer's matrix_rank, r(H) (``lower_bound``) and gradient alignment on
    the probe batch, for the variants in ``show``, in that order; each run's convergence
    ``window`` over the recorded iterations (``convergence_window``)."""
    table = pd.concat(cnn_logs, ignore_index=True)
    table = table[table["variant"].isin(show)].assign(dataset=dataset)
    table = _with_window(table, ["variant", "seed"], "iteration", window)
    table = table.assign(order=table["variant"].map({v: i for i, v in enumerate(show)}))
    first = ["variant", "seed", "iteration", "train_acc", "matrix_rank", "lower_bound", "alignment", "train_loss"]
    return _ordered(table, first, ["order", "seed", "iteration"]).drop(columns="order")


# --- fig14: orthogonality gap ---


def fig14(orthogonality: pd.DataFrame, level_from: float) -> pd.DataFrame:
    """Panel a: the orthogonality gap V(H_ℓ) per (norm, activation, d, run, layer), with its
    maximum √(1 − 1/n) (``max_gap``; Daneshmand et al. 2021, Sec. 3). Panel b: per (norm,
    activation, d, run) the ``level``, the mean gap over the layers ℓ ≥ ``level_from`` · L
    (``level_from_layer``), and per (norm, activation) the least-squares line of log level
    (the mean over runs) against log d: its ``slope`` and the line's value at d (``fit``)."""
    a = orthogonality.assign(panel="a", max_gap=np.sqrt(1 - 1 / orthogonality["n"]))
    start = math.ceil(level_from * a["layer"].max())
    chains = ["norm", "activation"]
    b = a[a["layer"] >= start].groupby([*chains, "d", "run"], as_index=False)["gap"].mean()
    b = b.rename(columns={"gap": "level"}).assign(panel="b", level_from_layer=start)
    fits = []
    for key, t in b.groupby(chains):
        mean = t.groupby("d")["level"].mean()
        slope = loglog_slope(mean.index, mean.to_numpy())
        log_d = np.log(mean.index.to_numpy(float))
        fit = np.exp(np.log(mean.to_numpy()).mean() + slope * (log_d - log_d.mean()))  # through the centroid
        fits.append(pd.DataFrame({"norm": key[0], "activation": key[1], "d": mean.index, "slope": slope, "fit": fit}))
    b = b.merge(pd.concat(fits, ignore_index=True), on=[*chains, "d"])
    first = ["panel", "norm", "activation", "d", "run", "layer", "gap", "max_gap", "level", "slope", "fit"]
    return _ordered(pd.concat([a, b], ignore_index=True), first, ["panel", *chains, "d", "run", "layer"])


# --- fig15: gradient explosion ---


def fitted_log_rate(layer: np.ndarray, grad_sq: np.ndarray, depth: int, skip: float) -> float:
    """ln of the growth per layer of ‖∂L/∂H_ℓ‖² towards the input: the least-squares slope of
    ln ‖∂L/∂H_ℓ‖² against L − ℓ over the middle layers, ``skip`` of the depth left out at
    each end (the input's transient, the readout's layer)."""
    lo, hi = math.ceil(skip * depth), depth - math.ceil(skip * depth)
    fit = (layer >= lo) & (layer <= hi)
    return log_slope(depth - layer[fit], grad_sq[fit])


def fig15(gradients: pd.DataFrame, skip: float) -> pd.DataFrame:
    """Panel a: per (activation, batch size B, run) of the centred-BN networks the fitted
    rate per layer of ‖∂L/∂H_ℓ‖² (``rate``, and its ln ``log_rate``: ``fitted_log_rate``),
    with the mean-field rate (B − 2)/(B − 3) for linear (``theory``; none is known at finite
    B for ReLU) and its B → ∞ limit (``limit``: 1 for linear, π/(π − 1) for ReLU). Panel b:
    per (weight law, run, layer) of the uncentred-BN networks log₁₀ ‖∂L/∂H_ℓ‖², with the
    run's fitted rate. Both name the fitted layers, ``fit_from``..``fit_to``."""
    keys = ["part", "activation", "batch", "weights", "run"]
    fits = []
    for key, t in gradients.groupby(keys):
        depth, margin = int(t["depth"].iloc[0]), math.ceil(skip * t["depth"].iloc[0])
        log_rate = fitted_log_rate(t["layer"].to_numpy(), t["grad_sq"].to_numpy(), depth, skip)
        fits.append(
            dict(zip(keys, key, strict=True))
            | {"log_rate": log_rate, "rate": math.exp(log_rate), "fit_from": margin, "fit_to": depth - margin}
            | {"d": t["d"].iloc[0], "depth": depth}
        )
    fits = pd.DataFrame(fits)
    a = fits[fits["part"] == "explosion"]
    linear = a["activation"] == "linear"
    a = a.assign(
        panel="a",
        theory=[bn_linear_gradient_rate(b) if lin else math.nan for b, lin in zip(a["batch"], linear, strict=True)],
        limit=np.where(linear, 1.0, bn_relu_gradient_rate_limit()),
    )
    b = gradients[gradients["part"] == "remedy"]
    b = b.assign(panel="b", log10_grad_sq=np.log10(b["grad_sq"]))[[*keys, "panel", "layer", "log10_grad_sq"]]
    table = pd.concat([a, b.merge(fits, on=keys)], ignore_index=True).drop(columns="part")
    first = ["panel", "activation", "batch", "weights", "run", "layer", "rate", "log_rate", "theory", "limit"]
    return _ordered(table, first, ["panel", "activation", "weights", "batch", "run", "layer"])


# --- fig16: isometry ---


def geometric_rate(layers: np.ndarray, gaps: np.ndarray, fit_from: int, above: float) -> tuple[float, int, int]:
    """(rate, first, last): exp of the least-squares slope of log(gap) against the layer,
    over the layers from ``fit_from`` to the last one whose gap exceeds ``above`` — the
    factor by which the gap shrinks per layer; NaN with fewer than two layers."""
    order = np.argsort(layers)
    layers, gaps = np.asarray(layers)[order], np.asarray(gaps, float)[order]
    high = np.nonzero(gaps > above)[0]
    last = int(layers[high.max()]) if len(high) else fit_from - 1
    window = (layers >= fit_from) & (layers <= last)
    return math.exp(log_slope(layers[window], gaps[window])), fit_from, last


def fig16(isometry: pd.DataFrame, fit_from: int, floor_factor: float) -> pd.DataFrame:
    """Panel a: −log I(G) per (normalisation, activation, run, layer), with the width's
    floor (n−1)/(2d); panel b: per chain, the rate per layer of the mean over runs
    (``geometric_rate`` from layer ``fit_from`` while it exceeds ``floor_factor``
    × the floor) and ``mean_field_rate``, the same fit of the mean over runs of the d → ∞
    correlation map's −log I (column ``mean_field``) over the same layers, beside σ's β_σ²,
    c₀ (by quadrature) and the mean −log I at layer 1 and at the last layer (Joudaki et al.
    2023; docs/figures.md §7, Fig 16)."""
    d, n = int(isometry["d"].iloc[0]), int(isometry["n"].iloc[0])
    level = floor(d, n)
    a = isometry.assign(panel="a", floor=level)
    rows = []
    for (norm, act), chain in isometry.groupby(["norm", "activation"], sort=False):
        mean = chain.groupby("layer")[["neg_log_isometry", "mean_field"]].mean()
        measured = mean["neg_log_isometry"]
        rate, first, last = geometric_rate(mean.index.to_numpy(), measured.to_numpy(), fit_from, floor_factor * level)
        window = mean.loc[first:last, "mean_field"]
        fits = last > first and window.notna().all()  # NaN: no window, or no map for this normalisation
        mean_field_rate = math.exp(log_slope(window.index.to_numpy(), window.to_numpy())) if fits else math.nan
        rows.append(
            {"panel": "b", "norm": norm, "activation": act, "rate": rate, "mean_field_rate": mean_field_rate}
            | {"fit_first": first, "fit_last": last}
            | hermite_constants(act)
            | {"start": measured.get(1, math.nan), "end": measured.iloc[-1], "last_layer": mean.index.max()}
            | {"runs": chain["run"].nunique(), "d": d, "n": n, "floor": level}
        )
    table = pd.concat([a, pd.DataFrame(rows)], ignore_index=True)
    lead = ["panel", "norm", "activation", "run", "layer", "neg_log_isometry", "mean_field", "rate", "mean_field_rate"]
    return _ordered(table, lead)
