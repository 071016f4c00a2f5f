"""The claims of the random-matrix chains (Figs 2, 3, 8, 9)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from bnrank.claims.common import (
    at_least,
    at_most,
    below,
    claim,
    gamma_label,
    versus,
    where_max,
    within,
)


def log_slope(x: Sequence[float], y: Sequence[float]) -> float:
    """Least-squares slope of log y against x (NaN with fewer than two points)."""
    x, y = np.asarray(x, float), np.log(np.asarray(y, float))
    return float(np.polyfit(x, y, 1)[0]) if len(x) >= 2 else math.nan


def loglog_slope(x: Sequence[float], y: Sequence[float]) -> float:
    """Least-squares slope of log y against log x (NaN with fewer than two points)."""
    return log_slope(np.log(np.asarray(x, float)), y)


def fig2(table: pd.DataFrame, vanilla_max_rank: float, bn_min_rank_over_sqrt_d: float) -> list[dict]:
    """Without BN the rank falls to about one; with BN it stays above √d at every depth."""
    rows = []
    mean = table.groupby(["activation", "network", "depth"])["rank"].mean()
    for act in table["activation"].unique():
        t = table[table["activation"] == act]
        d, runs = int(t["d"].iloc[0]), t["run"].nunique()
        vanilla, bn = mean[act]["vanilla"], mean[act]["bn"]
        last = vanilla.index.max()
        rows.append(
            claim(
                name=f"vanilla_rank_collapses[{act}]",
                paper='Sec. 1 (Fig. 2): "the hidden representation of X collapses to a rank one matrix in vanilla '
                'networks"',
                measured=f"{act}: the vanilla chains' mean rank at the last depth",
                value=vanilla[last],
                comparison=at_most(vanilla_max_rank),
                deciding=f"depth {last}: mean rank {vanilla[last]:.3g}",
                seeds=f"{runs} runs",
            )
        )
        floor = bn_min_rank_over_sqrt_d * math.sqrt(d)
        worst = bn.idxmin()
        rows.append(
            claim(
                name=f"bn_rank_above_sqrt_d[{act}]",
                paper='Fig. 2 caption: "BN stabilizes the rank above √d"',
                measured=f"{act}: the BN chains' smallest mean rank over depths",
                value=bn.min(),
                comparison=at_least(floor, label=f"{bn_min_rank_over_sqrt_d:g}·√d"),
                deciding=f"depth {worst}: {bn.min():.3g} {versus(bn.min(), floor)} {floor:.3g}",
                seeds=f"{runs} runs",
            )
        )
    return rows


def fig3(
    table: pd.DataFrame,
    min_slope: float,
    min_rank_over_bound: float,
    rise_layer: int,
    rise_factor: float,
    max_top_ratio: float,
) -> list[dict]:
    """3a: the mean rank grows at least like √d and lies above Theorem 2's (1−τ)²·√d;
    3b: BN amplifies small variations and shrinks the largest."""
    rows = []
    a = table[table["panel"] == "a"]
    a = a.assign(d=a["d"].astype(int))  # the column is float where panel b's rows have no width
    for gamma, chains in a.groupby("gamma"):
        g = gamma_label(gamma)
        per_d = chains.groupby("d").agg(rank=("rank", "mean"), bound=("theorem2_bound", "first"))
        runs = f"{chains['run'].nunique()} runs"
        s = loglog_slope(per_d.index, per_d["rank"].to_numpy())
        rows.append(
            claim(
                name=f"rank_grows_at_least_like_sqrt_d[gamma={g}]",
                paper='Sec. 3: "the rank of linear batch-normalized networks scales with their width as √d"',
                measured=f"γ={g}: log-log slope of the mean rank against d (a lower bound)",
                value=s,
                comparison=at_least(min_slope),
                deciding=f"slope over d = {per_d.index.min()}..{per_d.index.max()}: {s:.3g}",
                seeds=runs,
            )
        )
        ratio = per_d["rank"] / per_d["bound"]
        d = ratio.idxmin()
        rows.append(
            claim(
                name=f"rank_above_theorem2_level[gamma={g}]",
                paper="Theorem 2 (Sec. 3): the mean rank_τ over depth is at least of order (1−τ)²·√d",
                measured=f"γ={g}: the smallest ratio over d of the mean rank to (1−τ)²·√d",
                value=ratio.min(),
                comparison=at_least(min_rank_over_bound),
                deciding=f"d={d}: {per_d['rank'][d]:.3g} {versus(ratio.min(), min_rank_over_bound)} "
                f"{min_rank_over_bound * per_d['bound'][d]:.3g}",
                seeds=runs,
            )
        )
    if (table["panel"] == "b").any():
        spectrum = table[table["panel"] == "b"]
        b = spectrum.groupby(["index", "layer"])["eigenvalue"].mean()
        runs = f"{spectrum['run'].nunique()} runs"
        smallest, last = b.index.get_level_values("index").max(), b.index.get_level_values("layer").max()
        layer = min(rise_layer, last)
        start, end = b[smallest][0], b[smallest][layer]
        rows.append(
            claim(
                name="small_eigenvalues_rise",
                paper='Fig. 3 caption: "Bn quickly amplifies smaller variations in the data"',
                measured=f"3b: growth factor of the mean {int(smallest)}th eigenvalue within {layer} layers",
                value=end / start,
                comparison=at_least(rise_factor),
                deciding=f"λ_{int(smallest)}: {start:.3g} at layer 0, {end:.3g} at layer {layer}",
                seeds=runs,
            )
        )
        start, end = b[1][0], b[1][last]
        rows.append(
            claim(
                name="top_eigenvalue_falls",
                paper='Fig. 3 caption: "while reducing the largest one"',
                measured=f"3b: the mean top eigenvalue after {last} layers as a fraction of its start (λ₁(M₀) ≈ d, "
                "the largest possible)",
                value=end / start,
                comparison=at_most(max_top_ratio),
                deciding=f"λ_1: {start:.3g} at layer 0, {end:.3g} at layer {last}",
                seeds=runs,
            )
        )
    return rows


def fig8(table: pd.DataFrame, max_alpha: float, min_width: int) -> list[dict]:
    """α_ν settles below ``max_alpha`` for d > ``min_width`` and decreases with d."""
    rows = []
    final = table.sort_values("L").groupby(["gamma", "d"])["alpha"].last()
    runs = f"{table['run'].nunique()} runs"
    for gamma, alpha in final.groupby(level="gamma"):
        alpha = alpha.droplevel("gamma")
        wide = alpha[alpha.index > min_width]
        g = gamma_label(gamma)
        top = where_max(wide)
        rows.append(
            claim(
                name=f"alpha_below_bound[gamma={g}]",
                paper='App. (Fig. 8): "the regularity constant of the invariant distribution is less than 0.9 for '
                'd > 10"',
                measured=f"γ={g}: the largest final estimate of α over d > {min_width}",
                value=wide.max(),
                comparison=below(max_alpha),
                deciding=f"d={top}: {wide.max():.4g}" if top is not None else "",
                seeds=runs,
            )
        )
        steps = pd.Series(np.diff(alpha.to_numpy()), index=alpha.index[1:])
        step_to = where_max(steps)
        previous = alpha.index[list(alpha.index).index(step_to) - 1] if step_to is not None else None
        rows.append(
            claim(
                name=f"alpha_decreases_with_d[gamma={g}]",
                paper='App.: "the regularity constant is decreasing with respect to d"',
                measured=f"γ={g}: the largest change of the final estimate from one width to the next",
                value=steps.max(),
                comparison=below(0),
                deciding=f"d={previous}→{step_to}: {alpha[previous]:.4g} → {alpha[step_to]:.4g}" if step_to else "",
                seeds=runs,
            )
        )
    return rows


def fig9(table: pd.DataFrame, slope: tuple[float, float]) -> list[dict]:
    """E_ν‖M‖_F² grows like d^1.5 and stays under the Lemma-13 bound."""
    rows = []
    for gamma, t in table.sort_values("d").groupby("gamma"):
        g = gamma_label(gamma)
        s = loglog_slope(t["d"], t["frob2"])
        samples = f"{int(t['samples'].min())}+ samples per width" if "samples" in t else ""
        rows.append(
            claim(
                name=f"frob2_grows_like_d^1.5[gamma={g}]",
                paper='App. (Lemma 13): "an upper-bound O(d^1.5) is achievable on the Frobenius norm"',
                measured=f"γ={g}: log-log slope of E‖M‖_F² against d",
                value=s,
                comparison=within(*slope),
                deciding=f"slope over d = {t['d'].min()}..{t['d'].max()}: {s:.3g}",
                seeds=samples,
            )
        )
        ratio = t["frob2"] / t["bound"]
        worst = t.loc[ratio.idxmax()]
        rows.append(
            claim(
                name=f"frob2_below_lemma13_bound[gamma={g}]",
                paper='App.: "we experimentally validate the result of the last lemma in Fig. 9"',
                measured=f"γ={g}: the largest ratio over d of E‖M‖_F² to the Lemma-13 bound",
                value=ratio.max(),
                comparison=at_most(1),
                deciding=f"d={int(worst['d'])}: {worst['frob2']:.4g} vs bound {worst['bound']:.4g}",
                seeds=samples,
            )
        )
    return rows


# --- fig14: orthogonality gap ---

ORTHOGONALIZES = (
    'Daneshmand et al. 2021, abstract: "Successive batch normalizations with random linear transformations make '
    'hidden representations increasingly orthogonal"'
)


def fig14(
    table: pd.DataFrame,
    vanilla_min_fraction: float,
    early_layer: int,
    max_early_ratio: float,
    slope: tuple[float, float],
) -> list[dict]:
    """Without normalisation the gap stays at its maximum √(1 − 1/n); with BN it falls
    within ``early_layer`` layers and levels off at a value ∝ d^slope (Daneshmand et al.
    2021), per (normalisation, activation)."""
    rows = []
    a, b = table[table["panel"] == "a"], table[table["panel"] == "b"]
    mean = a.groupby(["norm", "activation", "d", "layer"])["gap"].mean()
    for (norm, act), t in a.groupby(["norm", "activation"], sort=False):
        runs, chain = f"{t['run'].nunique()} runs", f"{norm}/{act}"
        m, top = mean[norm][act], t["max_gap"].iloc[0]
        if norm == "none":
            last = int(m.index.get_level_values("layer").max())
            final = m.xs(last, level="layer") / top
            d = final.idxmin()
            rows.append(
                claim(
                    name=f"vanilla_gap_at_maximum[{act}]",
                    paper='Daneshmand et al. 2020 (the reproduced paper), Sec. 1: "the hidden representation of X '
                    'collapses to a rank one matrix in vanilla networks"; the contrast of ' + ORTHOGONALIZES,
                    measured=f"{act}, no normalisation: the smallest over d of the mean gap at layer {last} as a "
                    f"fraction of its maximum √(1 − 1/n) = {top:.4g}",
                    value=final.min(),
                    comparison=at_least(vanilla_min_fraction),
                    deciding=f"d={d}: gap {final.min() * top:.4g} of {top:.4g}",
                    seeds=runs,
                )
            )
            continue
        widest = m.index.get_level_values("d").max()
        layer = int(min(early_layer, m.index.get_level_values("layer").max()))
        start, end = m[widest][0], m[widest][layer]
        rows.append(
            claim(
                name=f"bn_gap_falls[{chain}]",
                paper='Daneshmand et al. 2021, abstract: "the deviation of the representations from orthogonality '
                'rapidly decays with depth"',
                measured=f"{chain} at the widest d = {widest}: the mean gap at layer {layer} as a fraction of the "
                "input's",
                value=end / start,
                comparison=at_most(max_early_ratio),
                deciding=f"d={widest}: {start:.4g} at layer 0, {end:.4g} at layer {layer}",
                seeds=runs,
            )
        )
        levels = b[(b["norm"] == norm) & (b["activation"] == act)]
        level = levels.groupby("d")["level"].mean()
        fitted = levels["slope"].iloc[0]
        rows.append(
            claim(
                name=f"bn_level_shrinks_like_d^-1/2[{chain}]",
                paper='Daneshmand et al. 2021, abstract: "the deviation of the representations from orthogonality '
                'rapidly decays with depth up to a term inversely proportional to the network width" (for V², so V '
                "goes like d^-1/2)",
                measured=f"{chain}: log-log slope against d of the level (the mean gap from layer "
                f"{int(levels['level_from_layer'].iloc[0])} on)",
                value=fitted,
                comparison=within(*slope),
                deciding=f"slope {fitted:.3g} over d = {level.index.min()}..{level.index.max()}: levels "
                + ", ".join(f"{v:.3g}" for v in level),
                seeds=runs,
            )
        )
    return rows


# --- fig15: gradient explosion ---


def _relative_log_error(log_rate: float, reference: float) -> float:
    """ln(measured rate)/ln(reference rate) − 1: the relative error of the growth exponent."""
    return log_rate / math.log(reference) - 1


def fig15(
    table: pd.DataFrame, rate_tolerance: float, max_orthogonal_log_rate: float, min_gaussian_log_rate: float
) -> list[dict]:
    """(a) centred BN: the linear networks' rate is (B − 2)/(B − 3) at every B; the ReLU
    rate falls with B towards π/(π − 1); (b) BN without centring, n = d: the gradients stay
    bounded with orthogonal weights and explode with Gaussian ones."""
    rows = []
    a = table[table["panel"] == "a"]
    # mean over runs of the log-rates: the geometric mean of the rates
    mean = a.groupby(["activation", "batch"])[["log_rate", "theory", "limit"]].mean()
    d, runs = int(a["d"].iloc[0]), a["run"].nunique()
    fitted = f"d={d}, layers {int(a['fit_from'].iloc[0])}..{int(a['fit_to'].iloc[0])} fitted"
    yang = 'Yang et al. 2019 (ICLR), abstract: "gradient signals grow exponentially in depth"'
    linear = mean.loc["linear"] if "linear" in mean.index else mean.iloc[:0]
    for batch, m in linear.iterrows():
        error = _relative_log_error(m["log_rate"], m["theory"])
        rows.append(
            claim(
                name=f"linear_rate_is_mean_field[B={batch}]",
                paper=f"{yang}; its mean field for linear BN networks: by (B − 2)/(B − 3) per layer",
                measured=f"linear, B={batch}: relative error of the mean fitted ln rate to ln((B−2)/(B−3))",
                value=error,
                comparison=within(-rate_tolerance, rate_tolerance),
                deciding=f"rate {math.exp(m['log_rate']):.4g} vs mean field {m['theory']:.4g} ({fitted})",
                seeds=f"{runs} runs",
            )
        )
    if "relu" in mean.index:
        relu = mean.loc["relu"]
        largest = relu.index.max()
        error = _relative_log_error(relu.loc[largest, "log_rate"], relu.loc[largest, "limit"])
        rate, limit = math.exp(relu.loc[largest, "log_rate"]), relu.loc[largest, "limit"]
        rows.append(
            claim(
                name="relu_rate_tends_to_pi_over_pi_minus_1",
                paper=f"{yang}; its mean field for ReLU after BN: by π/(π − 1) per layer as B → ∞",
                measured=f"ReLU, largest B={largest}: relative error of the mean fitted ln rate to ln(π/(π−1))",
                value=error,
                comparison=within(-rate_tolerance, rate_tolerance),
                deciding=f"rate {rate:.4g} vs limit {limit:.4g} ({fitted})",
                seeds=f"{runs} runs",
            )
        )
        steps = relu["log_rate"].diff().dropna()
        rows.append(
            claim(
                name="relu_rate_falls_with_batch",
                paper=f"{yang}; its mean field: the rate falls with the batch size B towards its B → ∞ limit",
                measured="ReLU: the largest rise of the mean fitted ln rate from one batch size to the next",
                value=steps.max() if len(steps) else None,
                comparison=below(0),
                deciding="rates over B: " + ", ".join(f"{b}: {math.exp(v):.3g}" for b, v in relu["log_rate"].items()),
                seeds=f"{runs} runs",
            )
        )
    b = table[table["panel"] == "b"].groupby(["weights", "run"])[["log_rate", "d", "fit_from", "fit_to"]].first()
    meterez = "Meterez et al. 2024 (ICLR), abstract"
    laws = set(b.index.get_level_values("weights"))
    if "orthogonal" in laws:
        r = b.loc["orthogonal"]
        worst = r["log_rate"].abs().idxmax()
        rows.append(
            claim(
                name="orthogonal_gradients_bounded",
                paper=f'{meterez}: an MLP with linear activations and BN (orthogonal weights, no centring) "provably '
                'has bounded gradients at any depth"',
                measured=f"orthogonal weights, n = d = {int(r['d'].iloc[0])}: the largest |fitted ln rate| per layer "
                "over runs",
                value=abs(r.loc[worst, "log_rate"]),
                comparison=at_most(max_orthogonal_log_rate),
                deciding=_remedy_case(r, worst),
                seeds=f"{len(r)} runs",
            )
        )
    if "gaussian" in laws:
        r = b.loc["gaussian"]
        worst = r["log_rate"].idxmin()
        rows.append(
            claim(
                name="gaussian_gradients_explode",
                paper=f"{meterez}: BN's better signal propagation \"comes at the expense of exploding gradients in "
                'depth" (the same network with Gaussian weights)',
                measured=f"Gaussian weights, n = d = {int(r['d'].iloc[0])}: the smallest fitted ln rate per layer over "
                "runs",
                value=r.loc[worst, "log_rate"],
                comparison=at_least(min_gaussian_log_rate),
                deciding=_remedy_case(r, worst),
                seeds=f"{len(r)} runs",
            )
        )
    return rows


def _remedy_case(runs: pd.DataFrame, run: int) -> str:
    """The deciding run of Fig 15b, its fitted ln rate and the layers fitted."""
    r = runs.loc[run]
    return f"run {run}: ln rate {r['log_rate']:.3g} per layer, layers {int(r['fit_from'])}..{int(r['fit_to'])} fitted"


# --- fig16: isometry ---

_ISOMETRY = "Joudaki, Daneshmand & Bach 2023"


def fig16(table: pd.DataFrame, rate_tolerance: float, min_kept_fraction: float) -> list[dict]:
    """LayerNorm: −log I decays per layer by β_σ² for a non-linear σ, and as the d → ∞
    correlation map of σ's Hermite expansion predicts, and not at all for a linear σ;
    RMSNorm decays like LayerNorm where E σ(z) = 0 and not at all otherwise."""
    rows = []
    b = table[table["panel"] == "b"].set_index(["norm", "activation"])
    for (norm, act), r in b.iterrows():
        runs = f"{int(r['runs'])} runs, d={int(r['d'])}, n={int(r['n'])}"
        window = f"layers {int(r['fit_first'])}..{int(r['fit_last'])}"
        kept = r["end"] / r["start"]
        centred = norm == "ln" or abs(r["gaussian_mean"]) < 1e-12
        if r["beta_squared"] > 1 - 1e-9 or not centred:
            why = "a linear σ" if r["beta_squared"] > 1 - 1e-9 else f"RMSNorm keeps E σ(z) = {r['gaussian_mean']:.3g}"
            rows.append(
                claim(
                    name=f"no_isometry[{norm},{act}]",
                    paper=f'{_ISOMETRY}, abstract: layer normalization "in conjunction with activation layers" '
                    f"biases the Gram matrix towards the identity: not without a non-linear σ and centring ({why})",
                    measured=f"{norm}/{act}: mean −log I at the last layer over layer 1's",
                    value=kept,
                    comparison=at_least(min_kept_fraction),
                    deciding=f"−log I {r['start']:.3g} at layer 1, {r['end']:.3g} at layer {int(r['last_layer'])}",
                    seeds=runs,
                )
            )
            continue
        target = r["beta_squared"]
        rows.append(
            claim(
                name=f"rate_is_beta_squared[{norm},{act}]",
                paper=f'{_ISOMETRY}, abstract: "biases the Gram matrix [...] towards the identity matrix at an '
                "exponential rate with depth [...] We quantify this rate using the Hermite expansion of the activation "
                'function" (β_σ² per layer near isometry: our derivation, docs/figures.md §7)',
                measured=f"{norm}/{act}: fitted factor per layer of the mean −log I, {window}",
                value=r["rate"],
                comparison=within(target - rate_tolerance, target + rate_tolerance),
                deciding=f"rate {r['rate']:.3g} vs β_σ² = {target:.3g} (β_σ = {r['beta']:.3g})",
                seeds=runs,
            )
        )
        predicted = r["mean_field_rate"]
        rows.append(
            claim(
                name=f"rate_is_kernel_map[{norm},{act}]",
                paper=f'{_ISOMETRY}, abstract: "We quantify this rate using the Hermite expansion of the activation '
                "function\" (here: the whole d → ∞ correlation map Σ c_k² ρ^k / Σ c_k² iterated from each run's "
                "input, docs/figures.md §7)",
                measured=f"{norm}/{act}: fitted factor per layer of the mean −log I against the same fit of the "
                f"correlation map's −log I, {window}",
                value=r["rate"],
                comparison=within(predicted - rate_tolerance, predicted + rate_tolerance),
                deciding=f"rate {r['rate']:.3g} vs the correlation map's {predicted:.3g} over the same layers",
                seeds=runs,
                undecided=f"no correlation map for {norm} (mean_field.CORRELATION_MAPS)"
                if math.isnan(predicted) and not math.isnan(r["rate"])
                else None,
            )
        )
    return rows
