"""Paper-style figures (seaborn) drawn from figure tables, never from raw simulations.

matplotlib and seaborn are imported by the functions that draw (``_pyplot``), not with
this module: the workflow reads the plots' signatures from the figure registry at start-up
and in every table and claims job, which must not pay for them.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from bnrank.streams import bootstrap_generator

CHARACTERS_PER_INCH = 14  # of the figure title's font ("medium" in seaborn's paper context)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NETWORK_COLORS = {"bn": "tab:blue", "vanilla": "tab:orange"}  # the paper's colours
ACTIVATION_NAMES = {"linear": "Linear", "relu": "ReLU", "tanh": "tanh", "gelu": "GELU", "sin": "sin"}
DATASET_NAMES = {
    "fashion_mnist": "Fashion-MNIST",
    "cifar10": "CIFAR-10",
    "cifar10_synthetic": "synthetic CIFAR-10 stand-in",
}
ARCHITECTURE_NAMES = {"vgg19": "VGG19", "resnet50": "ResNet-50"}
METRIC_NAMES = {
    "train_loss": "training loss",
    "train_acc": "training accuracy",
    "test_loss": "test loss",
    "test_acc": "test accuracy",
}


def _pyplot():
    """matplotlib's pyplot, on the non-interactive Agg backend, and seaborn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    return plt, sns


def ci95(values: np.ndarray, boots: int = 1000, seed: int = 0) -> tuple[float, float]:
    """95% percentile-bootstrap interval of the mean (seaborn's default band), vectorised."""
    values = np.asarray(values, float)
    means = bootstrap_generator(seed).choice(values, (boots, len(values))).mean(1)
    return tuple(np.percentile(means, [2.5, 97.5]))


def gamma_label(gamma: float) -> str:
    return "γ=∞" if math.isinf(gamma) else f"γ={gamma:g}"


def _gamma_hue(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Frame with a γ label column, and the labels in increasing γ."""
    order = [gamma_label(g) for g in sorted(frame["gamma"].unique())]
    return frame.assign(γ=frame["gamma"].map(gamma_label)), order


def fig2(table: pd.DataFrame) -> Figure:
    """Log rank of the last hidden layer against depth, BN vs vanilla, one panel per activation."""
    plt, sns = _pyplot()
    acts = list(table["activation"].unique())
    fig, axes = plt.subplots(1, len(acts), figsize=(5.2 * len(acts), 4), sharey=True, squeeze=False)
    d = table["d"].iloc[0]
    for ax, act in zip(axes[0], acts, strict=True):
        sns.lineplot(
            data=table[table["activation"] == act],
            x="depth",
            y="rank",
            hue="network",
            palette=NETWORK_COLORS,
            errorbar=ci95,
            ax=ax,
        )
        ax.axhline(math.sqrt(d), ls="--", color="grey", label=f"√d = {math.sqrt(d):.2f}")
        ax.set(
            yscale="log",
            title=ACTIVATION_NAMES[act],
            xlabel="number of layers",
            ylabel=f"rank of last hidden layer ({table['rank_notion'].iloc[0]}, log)",
        )
        ax.legend()
    fig.suptitle(f"Rank of the last hidden layer, width d = {d}, mean and 95% CI over runs")
    return fig


def fig3(table: pd.DataFrame) -> Figure:
    """(a) mean rank over depth against width, per γ; (b) top eigenvalues over depth."""
    plt, sns = _pyplot()
    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(11, 4.2))
    a, order = _gamma_hue(table[table["panel"] == "a"])
    sns.lineplot(data=a, x="d", y="rank", hue="γ", hue_order=order, errorbar="sd", marker="o", ax=ax_a)
    lines = a.groupby("d")[["sqrt_d", "theorem2_bound"]].first()
    widths = lines.index.to_numpy(float)
    ax_a.plot(widths, lines["sqrt_d"], ls="--", color="grey", label="√d")
    if not np.allclose(lines["theorem2_bound"], lines["sqrt_d"]):
        ax_a.plot(widths, lines["theorem2_bound"], ls="-.", color="grey", label="(1−τ)²·√d (Theorem 2)")
    ax_a.plot(widths, widths, ls=":", color="black", label="d")
    ax_a.set_xscale("log", base=2)
    ax_a.set_yscale("log", base=2)
    ax_a.set(
        xlabel="width d",
        ylabel=f"mean {a['rank_notion'].iloc[0]} over depth",
        title="(a) rank against width (band: ±1 s.d. along the chain)",
    )
    ax_a.legend()
    b = table[table["panel"] == "b"].assign(eigenvalue_index=lambda t: t["index"].astype(int))
    sns.lineplot(
        data=b,
        x="layer",
        y="eigenvalue",
        hue="eigenvalue_index",
        palette="viridis",
        errorbar=ci95,
        ax=ax_b,
        legend="full",
    )
    ax_b.set(
        yscale="log",
        xlabel="layer ℓ",
        ylabel="eigenvalue of M_ℓ",
        title=f"(b) top {b['eigenvalue_index'].max()} eigenvalues, nearly collinear input",
    )
    ax_b.legend(title="index", ncols=2, fontsize="small")
    return fig


def fig8(table: pd.DataFrame, max_alpha: float) -> Figure:
    """Ergodic estimate of α against the number of layers L, one curve per width, and the
    claims' bound on α (``fig8.claims.max_alpha``) as a reference line."""
    plt, sns = _pyplot()
    t, order = _gamma_hue(table)
    fig, axes = plt.subplots(1, len(order), figsize=(4.6 * len(order), 4), sharey=True, squeeze=False)
    for ax, g in zip(axes[0], order, strict=True):
        last = ax is axes[0][-1]
        sns.lineplot(
            data=t[t["γ"] == g],
            x="L",
            y="alpha",
            hue="d",
            palette="viridis",
            errorbar=ci95,
            legend="full" if last else False,
            ax=ax,
        )
        ax.axhline(max_alpha, ls="--", color="grey", label=f"α = {max_alpha:g}")
        ax.set(xscale="log", title=g, xlabel="number of layers L", ylabel="estimated regularity constant α")
        if last:
            ax.legend(title="d", fontsize="small", loc="center left", bbox_to_anchor=(1.02, 0.5))
    return fig


def fig9(table: pd.DataFrame) -> Figure:
    """Ergodic E‖M‖_F² against d, with the Lemma-13 bound (dashed) and d^1.5 (dotted)."""
    plt, sns = _pyplot()
    t, order = _gamma_hue(table)
    fig, ax = plt.subplots(figsize=(5.6, 4.4))
    colors = dict(zip(order, sns.color_palette(n_colors=len(order)), strict=True))
    sns.lineplot(data=t, x="d", y="frob2", hue="γ", hue_order=order, palette=colors, marker="o", ax=ax)
    for g, rows in t.groupby("γ"):
        ax.plot(rows["d"], rows["bound"], ls="--", color=colors[g], label=f"Lemma-13 bound, {g}")
    widths = np.sort(t["d"].unique()).astype(float)
    ax.plot(widths, widths**1.5, ls=":", color="black", label="d^1.5")
    ax.set(xscale="log", yscale="log", xlabel="width d", ylabel="ergodic estimate of E‖M‖_F²")
    ax.legend(fontsize="small")
    return fig


def fig1(table: pd.DataFrame) -> Figure:
    """Left: rank of the last hidden layer at init vs depth; right: final training accuracy vs depth."""
    plt, sns = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    palette = {n: NETWORK_COLORS.get(n) for n in table["network"].unique()}
    ranks = table.dropna(subset=["rank_init"])
    sns.lineplot(
        data=ranks, x="depth", y="rank_init", hue="network", palette=palette, errorbar=ci95, marker="o", ax=left
    )
    left.set(
        xlabel="number of hidden layers",
        ylabel=f"rank of last hidden layer ({ranks['rank_dtype'].iloc[0]})",
        title="rank at initialisation",
    )
    sns.lineplot(
        data=table.dropna(subset=["train_acc"]),
        x="depth",
        y="train_acc",
        hue="network",
        palette=palette,
        errorbar=ci95,
        marker="o",
        ax=right,
    )
    right.set(xlabel="number of hidden layers", ylabel="training accuracy", title="after training (selected lr)")
    fig.suptitle(
        f"{DATASET_NAMES[table['dataset'].iloc[0]]}, ReLU MLPs of width {table['width'].iloc[0]}, "
        "mean and 95% CI over seeds"
    )
    return fig


def _curves(table: pd.DataFrame, metrics: Sequence[str], title: str = "") -> Figure:
    """Metrics over epochs, one row per metric and one column per depth, one curve per variant."""
    plt, sns = _pyplot()
    depths = sorted(table["depth"].unique())
    fig, axes = plt.subplots(
        len(metrics), len(depths), figsize=(4.2 * len(depths), 3.4 * len(metrics)), squeeze=False, sharex=True
    )
    order = sorted(table["variant"].unique())
    for row, metric in zip(axes, metrics, strict=True):
        for ax, depth in zip(row, depths, strict=True):
            sns.lineplot(
                data=table[table["depth"] == depth],
                x="epoch",
                y=metric,
                hue="variant",
                hue_order=order,
                errorbar=ci95,
                ax=ax,
                legend=ax is axes[0][-1],
            )
            ax.set(title=f"{depth} hidden layers", xlabel="epoch", ylabel=METRIC_NAMES[metric])
            ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
            if "loss" in metric:
                ax.set_yscale("log")
    dataset = DATASET_NAMES[table["dataset"].iloc[0]]
    fig.suptitle(f"{dataset}: {title}, mean and 95% CI over seeds (selected lr)")
    return fig


def fig4(table: pd.DataFrame) -> Figure:
    """Figs 4 and 12: training loss over epochs, one panel per depth."""
    return _curves(table, ["train_loss"], "rank-pretrained vanilla vs BN")


def fig11(table: pd.DataFrame) -> Figure:
    """Training accuracy and test loss over epochs, one column per depth."""
    return _curves(table, ["train_acc", "test_loss"], "Fig 4's runs")


def fig6(table: pd.DataFrame) -> Figure:
    """Training accuracy and r(H) of the last hidden layer's pre-activation over epochs;
    BN variants dashed."""
    plt, sns = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    order = list(table.sort_values(["norm", "pretrain_iterations"], ascending=[False, True])["variant"].unique())
    dashes = {
        v: (4, 2) if n == "bn" else ""
        for v, n in table.drop_duplicates("variant")[["variant", "norm"]].itertuples(index=False)
    }
    for ax, metric, label in (
        (left, "train_acc", "training accuracy"),
        (right, "r_pre", "lower bound on rank r(H), last hidden pre-activation"),
    ):
        sns.lineplot(
            data=table,
            x="epoch",
            y=metric,
            hue="variant",
            hue_order=order,
            style="variant",
            dashes=dashes,
            errorbar=ci95,
            ax=ax,
            legend=ax is right,
        )
        ax.set(xlabel="epoch", ylabel=label)
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    fig.suptitle(
        f"{DATASET_NAMES[table['dataset'].iloc[0]]}, MLPs of depth {table['depth'].iloc[0]}, mean and 95% CI over seeds"
    )
    return fig


def _over_iterations(table: pd.DataFrame, right: str, right_label: str, title: str, log_accuracy: bool = False):
    """Training accuracy (left) and a last-hidden-layer measurement (right) over iterations,
    one curve per variant in the table's order, mean and 95% CI over seeds."""
    plt, sns = _pyplot()
    fig, (left, right_ax) = plt.subplots(1, 2, figsize=(11, 4.2))
    order = list(table["variant"].unique())
    for ax, metric, label in ((left, "train_acc", "training accuracy"), (right_ax, right, right_label)):
        sns.lineplot(
            data=table,
            x="iteration",
            y=metric,
            hue="variant",
            hue_order=order,
            style="variant",
            style_order=order,
            errorbar=ci95,
            ax=ax,
            legend=ax is left,
        )
        ax.set(xlabel="iteration", ylabel=label)
        missing = [v for v in order if table.loc[table["variant"] == v, metric].isna().all()]
        if missing:
            ax.text(0.02, 0.02, f"no value at any record: {', '.join(missing)}", transform=ax.transAxes, fontsize=8)
    if log_accuracy:
        left.set_yscale("log")
    first = table.iloc[0]
    width = "" if first["width"] == 1 else f" (channel width × {first['width']:g})"
    fig.suptitle(
        f"{DATASET_NAMES[first['dataset']]}, {ARCHITECTURE_NAMES[first['architecture']]}{width}: {title}, mean and "
        "95% CI over seeds"
    )
    return fig


def breaking_bn(table: pd.DataFrame) -> Figure:
    """Figs 5 and 13: training accuracy and matrix_rank of the last hidden layer over iterations."""
    return _over_iterations(table, "matrix_rank", "rank of the last hidden layer (matrix_rank)", "breaking BN")


def fig7(table: pd.DataFrame) -> Figure:
    """Training accuracy and r(H) of the last hidden layer over iterations, BN with and without centring."""
    return _over_iterations(table, "lower_bound", "r(H) of the last hidden layer", "centring for BN")


def fig10(table: pd.DataFrame) -> Figure:
    """Training accuracy (log axis) and the final layer's gradient alignment over iterations."""
    return _over_iterations(
        table=table,
        right="alignment",
        right_label="gradient alignment (mean |cos| over pairs)",
        title="directional gradient vanishing",
        log_accuracy=True,
    )


def draw(
    *,
    name: str,
    plot: Callable[..., Figure],
    table: pd.DataFrame,
    paths: Sequence[str],
    preset: str,
    label: str = "",
    **options,
) -> None:
    """Draw figure ``name`` with its ``plot`` function from its table and save it to every
    path (PDF, PNG, ...).

    The preset's name, and its label when it shrinks the protocol or uses stand-in
    data, are printed on the figure itself.
    """
    plt, sns = _pyplot()
    sns.set_theme(style="whitegrid", context="paper")
    fig = plot(table, **options)
    title = f"Figure {name.removeprefix('fig')}" + (f" — {fig._suptitle.get_text()}" if fig._suptitle else "")
    note = f"preset: {preset}" + (f" — {label}" if label else "")
    width = int(fig.get_figwidth() * CHARACTERS_PER_INCH)  # lines wrapped to the figure's width, never cut off
    lines = [textwrap.fill(line, width) for line in (title, note)]
    fig.suptitle("\n".join(lines), fontsize="medium", color="black" if not label else "firebrick")
    fig.tight_layout()
    for path in paths:
        fig.savefig(path, dpi=150)
    plt.close(fig)


# --- fig14: orthogonality gap ---


def fig14(table: pd.DataFrame) -> Figure:
    """(a) the mean orthogonality gap over depth, one panel per activation: the normalised
    chains at every width (colour) and the unnormalised ones (grey, dashed), with the maximum
    √(1 − 1/n); (b) the normalised chains' level against d on log-log axes, mean and 95% CI
    over runs, with the fitted line (its slope, the claim's value) and a d^(−1/2) reference."""
    plt, sns = _pyplot()
    a, b = table[table["panel"] == "a"], table[table["panel"] == "b"]
    acts = list(a["activation"].unique())
    widths = sorted(a["d"].unique())
    fig, axes = plt.subplots(1, len(acts) + 1, figsize=(4.4 * (len(acts) + 1), 4.2), squeeze=False)
    colors = dict(zip(widths, sns.color_palette("viridis", len(widths)), strict=True))
    mean = a.groupby(["activation", "norm", "d", "layer"])["gap"].mean()
    for ax, act in zip(axes[0], acts, strict=False):
        for (norm, d), m in mean[act].groupby(level=["norm", "d"]):
            vanilla = norm == "none"
            ax.plot(
                m.index.get_level_values("layer"),
                m.to_numpy(),
                color="grey" if vanilla else colors[d],
                ls="--" if vanilla else "-",
                lw=0.8 if vanilla else 1.4,
                label=("no norm., every d" if d == widths[0] else None) if vanilla else f"{norm}, d={d}",
            )
        ax.axhline(a["max_gap"].iloc[0], ls=":", color="black", label="√(1 − 1/n)")
        ax.set(yscale="log", xlabel="layer ℓ", ylabel="orthogonality gap V(H_ℓ), mean over runs")
        ax.set_title(f"(a) {ACTIVATION_NAMES[act]}")
    axes[0][0].legend(fontsize="x-small", ncols=2, loc="upper right", bbox_to_anchor=(1, 0.92))
    ax = axes[0][-1]
    bn = b[b["norm"] != "none"]
    palette = dict(zip(acts, sns.color_palette(n_colors=len(acts)), strict=True))
    for (norm, act), t in bn.groupby(["norm", "activation"], sort=False):
        per_d = t.groupby("d")["level"]
        lo, hi = np.array([ci95(v.to_numpy()) for _, v in per_d]).T
        level = per_d.mean()
        err = [level - lo, hi - level]
        name = f"{norm}, {ACTIVATION_NAMES[act]}"
        ax.errorbar(level.index, level, yerr=err, fmt="o", color=palette[act], label=name)
        fit = t.groupby("d")["fit"].first()
        ax.plot(fit.index, fit, color=palette[act], ls="--", label=f"{name}: fitted slope {t['slope'].iloc[0]:.2f}")
    ds = np.array(widths, float)
    centre = np.exp(np.log(bn["level"]).mean()), np.exp(np.log(ds).mean())  # through the levels' centroid
    ax.plot(ds, centre[0] * np.sqrt(centre[1] / ds), ls=":", color="black", label="∝ d^(−1/2)")
    ax.set_xscale("log", base=2)
    ax.set_xticks(ds, [str(d) for d in widths])
    ax.set(
        yscale="log",
        xlabel="width d",
        ylabel=f"level: mean gap from layer {int(b['level_from_layer'].iloc[0])} on",
        title="(b) level against width",
    )
    ax.legend(fontsize="x-small")
    fig.suptitle(f"Orthogonality gap, n = {int(a['n'].iloc[0])} samples, nearly collinear inputs")
    return fig


# --- fig15: gradient explosion ---

WEIGHT_COLORS = {"orthogonal": "tab:green", "gaussian": "tab:red"}


def fig15(table: pd.DataFrame) -> Figure:
    """(a) fitted growth per layer of ‖∂L/∂H_ℓ‖², minus one, against the batch size, linear
    and ReLU, with the mean field's (B−2)/(B−3) and π/(π−1); (b) log₁₀ ‖∂L/∂H_ℓ‖² over the
    layers of BN without centring, orthogonal against Gaussian weights, one line per run."""
    plt, sns = _pyplot()
    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(11.5, 4.4))
    a = table[table["panel"] == "a"]
    a = a.assign(excess=a["rate"] - 1, σ=a["activation"].map(lambda act: ACTIVATION_NAMES.get(act, act)))
    sns.lineplot(data=a, x="batch", y="excess", hue="σ", errorbar="sd", marker="o", err_style="bars", ax=ax_a)
    batches = np.linspace(a["batch"].min(), a["batch"].max(), 200)
    if (a["activation"] == "linear").any():
        ax_a.plot(batches, 1 / (batches - 3), ls="--", color="grey", label="mean field (B−2)/(B−3) − 1")
    if (a["activation"] == "relu").any():
        limit = a.loc[a["activation"] == "relu", "limit"].iloc[0]
        ax_a.axhline(limit - 1, ls=":", color="black", label="ReLU, B → ∞: π/(π−1) − 1")
    ax_a.set_xscale("log", base=2)
    ax_a.set_yscale("log")
    ax_a.set(
        xlabel="batch size B",
        ylabel="growth of ‖∂L/∂H_ℓ‖² per layer − 1",
        title=f"(a) centred BN, d = {int(a['d'].iloc[0])}: rate against B (±1 s.d. over runs)",
    )
    ax_a.legend(fontsize="small")
    b = table[table["panel"] == "b"]
    for law, runs in b.groupby("weights"):
        for i, (_, curve) in enumerate(runs.groupby("run")):
            label = f"{law} weights" if i == 0 else None
            color = WEIGHT_COLORS.get(law)
            ax_b.plot(curve["layer"], curve["log10_grad_sq"], lw=0.8, alpha=0.7, color=color, label=label)
    ax_b.axvspan(b["fit_from"].iloc[0], b["fit_to"].iloc[0], color="grey", alpha=0.1, label="layers fitted")
    ax_b.set(
        xlabel="layer ℓ (0: the input)",
        ylabel="log₁₀ ‖∂L/∂H_ℓ‖²_F",
        title=f"(b) BN without centring, linear, n = d = {int(b['d'].iloc[0])}: one line per run",
    )
    ax_b.legend(fontsize="small")
    fig.suptitle("BN's gradients at initialisation: their explosion against the batch size, and its remedy")
    return fig


# --- fig16: isometry ---


def fig16(table: pd.DataFrame) -> Figure:
    """(a) −log I(G) against depth, one colour per activation, LayerNorm solid and RMSNorm
    dashed, LayerNorm's d → ∞ correlation map dotted, with the width's floor; (b) each
    chain's fitted rate per layer against β_σ², the correlation map's rate over the same
    layers (crosses), and the diagonal where the rates would equal β_σ²."""
    plt, sns = _pyplot()
    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(12, 5.4))
    a, b = table[table["panel"] == "a"], table[table["panel"] == "b"]
    names = {act: ACTIVATION_NAMES[act] for act in a["activation"].unique()}
    palette = dict(zip(names.values(), sns.color_palette("tab10", len(names)), strict=True))
    curves = a.assign(activation=a["activation"].map(names), layer=a["layer"].astype(int))
    sns.lineplot(
        data=curves,
        x="layer",
        y="neg_log_isometry",
        hue="activation",
        style="norm",
        palette=palette,
        dashes={"ln": "", "rms": (4, 2)},
        errorbar=None,
        ax=ax_a,
    )
    mean_field = curves[curves["norm"] == "ln"].groupby(["activation", "layer"])["mean_field"].mean()
    for name, curve in mean_field.groupby(level="activation"):
        ax_a.plot(curve.index.get_level_values("layer"), curve.to_numpy(), lw=0.8, ls=":", color=palette[name])
    ax_a.plot([], [], lw=0.8, ls=":", color="black", label="LN, d → ∞ correlation map")
    ax_a.axhline(a["floor"].iloc[0], ls="-.", color="grey", label="floor (n−1)/(2d)")
    ax_a.set(
        yscale="log",
        xlabel="layer ℓ",
        ylabel="−log I(G_ℓ), mean over runs (log)",
        title=f"(a) isometry gap, d = {int(a['d'].iloc[0])}, n = {int(a['n'].iloc[0])}",
    )
    ax_a.set_ylim(bottom=a["floor"].iloc[0] / 10)  # the d → ∞ curves fall on towards 0
    ax_a.legend(fontsize="small", ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.14))
    for (norm, act), r in b.set_index(["norm", "activation"]).iterrows():
        ax_b.scatter(
            r["beta_squared"],
            r["rate"],
            color=palette[names[act]],
            marker="o" if norm == "ln" else "s",
            facecolors="none" if norm == "rms" else palette[names[act]],
            label=f"{names[act]} ({norm})",
        )
        ax_b.scatter(r["beta_squared"], r["mean_field_rate"], color=palette[names[act]], marker="x", s=25)
    ax_b.scatter([], [], color="black", marker="x", s=25, label="correlation map, same layers")
    ax_b.plot([0, 1.05], [0, 1.05], ls="--", color="grey", label="rate = β_σ²")
    ax_b.set(
        xlabel="β_σ² (Hermite coefficients, by quadrature)",
        ylabel="fitted rate of −log I per layer",
        title="(b) rate against β_σ² (filled: LN; open: RMS)",
    )
    ax_b.legend(fontsize="small", ncols=2)
    fig.suptitle(f"Isometry of LayerNorm and RMSNorm chains over depth, {int(b['runs'].iloc[0])} runs")
    return fig
