"""The paper's claims, checked against a figure's table.

Every check returns rows with the columns of ``COLUMNS``: the claim's id (one id per
kind of comparison), the sentence of the paper it tests (``paper``), what is measured
and what would make it fail (``statement``), the measured ``value``, the
``threshold``, the ``status`` (``holds``, ``fails`` or ``not evaluated``), the case
that decides it with its numbers (``deciding``), and the seeds or runs behind the value
(``seeds``). Thresholds come from the config, never from here; a claim that fails is
reported as failing.

Training claims are decided over seeds. A seed that diverged counts with the worst
value of its metric (infinite loss, zero accuracy, zero rank), never as missing.
Comparisons of two variants (``_compare``) hold when the mean favours the first and it
is better in more than ``seed_majority`` of all (seed of one, seed of the other) pairs;
no tolerance is granted to either side.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

COLUMNS = ["claim", "paper", "statement", "value", "threshold", "status", "deciding", "seeds", "note"]
STATUSES = ("holds", "fails", "not evaluated")
SANITY = "none: a sanity check of this workflow, not a statement of the paper"


def _row(
    claim: str,
    paper: str,
    statement: str,
    value: float,
    threshold: str,
    holds: bool | None,
    deciding: str = "",
    seeds: str = "",
) -> dict:
    status = "not evaluated" if holds is None or pd.isna(value) else ("holds" if holds else "fails")
    return {
        "claim": claim,
        "paper": paper,
        "statement": statement,
        "value": value,
        "threshold": threshold,
        "status": status,
        "deciding": deciding,
        "seeds": seeds,
        "note": "",
    }


def _gamma_label(gamma: float) -> str:
    return "inf" if math.isinf(gamma) else f"{gamma:g}"


def _cmp(a: float, b: float) -> str:
    return "≥" if a >= b else "<"


def loglog_slope(x: Sequence[float], y: Sequence[float]) -> float:
    """Least-squares slope of log y against log x (NaN with fewer than two points)."""
    x, y = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
    return float(np.polyfit(x, y, 1)[0]) if len(x) >= 2 else math.nan


# ---------------------------------------------------------------- chains (Figs 2, 3, 8, 9)


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
            _row(
                f"vanilla_rank_collapses[{act}]",
                'Sec. 1 (Fig. 2): "the hidden representation of X collapses to a rank one matrix in vanilla networks"',
                f"{act}: the vanilla chains' mean rank at the last depth; fails above {vanilla_max_rank:g}",
                vanilla[last],
                f"<= {vanilla_max_rank:g}",
                vanilla[last] <= vanilla_max_rank,
                f"depth {last}: mean rank {vanilla[last]:.3g}",
                f"{runs} runs",
            )
        )
        floor = bn_min_rank_over_sqrt_d * math.sqrt(d)
        worst = bn.idxmin()
        rows.append(
            _row(
                f"bn_rank_above_sqrt_d[{act}]",
                'Fig. 2 caption: "BN stabilizes the rank above √d"',
                f"{act}: the BN chains' smallest mean rank over depths; fails below {bn_min_rank_over_sqrt_d:g}·√d",
                bn.min(),
                f">= {bn_min_rank_over_sqrt_d:g}·√d = {floor:.3g}",
                bn.min() >= floor,
                f"depth {worst}: {bn.min():.3g} {_cmp(bn.min(), floor)} {floor:.3g}",
                f"{runs} runs",
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
    theorem2 = "Theorem 2 (Sec. 3): the mean rank_τ over depth is at least of order (1−τ)²·√d"
    for gamma, chains in a.groupby("gamma"):
        g = _gamma_label(gamma)
        per_d = chains.groupby("d").agg(rank=("rank", "mean"), bound=("theorem2_bound", "first"))
        runs = f"{chains['run'].nunique()} runs"
        s = loglog_slope(per_d.index, per_d["rank"].to_numpy())
        widths = f"d = {per_d.index.min()}..{per_d.index.max()}"
        rows.append(
            _row(
                f"rank_grows_at_least_like_sqrt_d[gamma={g}]",
                'Sec. 3: "the rank of linear batch-normalized networks scales with their width as √d"',
                f"γ={g}: log-log slope of the mean rank against d (a lower bound: only a slope below "
                f"{min_slope:g} fails)",
                s,
                f">= {min_slope:g}",
                s >= min_slope if len(per_d) >= 2 else None,
                f"slope over {widths}: {s:.3g}",
                runs,
            )
        )
        ratio = per_d["rank"] / per_d["bound"]
        d = ratio.idxmin()
        rows.append(
            _row(
                f"rank_above_theorem2_level[gamma={g}]",
                theorem2,
                f"γ={g}: the smallest ratio over d of the mean rank to (1−τ)²·√d; fails below {min_rank_over_bound:g}",
                ratio.min(),
                f">= {min_rank_over_bound:g}",
                ratio.min() >= min_rank_over_bound,
                f"d={d}: {per_d['rank'][d]:.3g} {_cmp(ratio.min(), min_rank_over_bound)} "
                f"{min_rank_over_bound * per_d['bound'][d]:.3g}",
                runs,
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
            _row(
                "small_eigenvalues_rise",
                'Fig. 3 caption: "Bn quickly amplifies smaller variations in the data"',
                f"3b: growth of the mean {int(smallest)}th eigenvalue within {layer} layers; fails below "
                f"{rise_factor:g}×",
                end / start,
                f">= {rise_factor:g}",
                end / start >= rise_factor,
                f"λ_{int(smallest)}: {start:.3g} at layer 0, {end:.3g} at layer {layer}",
                runs,
            )
        )
        start, end = b[1][0], b[1][last]
        rows.append(
            _row(
                "top_eigenvalue_falls",
                'Fig. 3 caption: "while reducing the largest one"',
                f"3b: the mean top eigenvalue after {last} layers as a fraction of its start (λ₁(M₀) ≈ d, "
                f"the largest possible); fails above {max_top_ratio:g}",
                end / start,
                f"<= {max_top_ratio:g}",
                end / start <= max_top_ratio,
                f"λ_1: {start:.3g} at layer 0, {end:.3g} at layer {last}",
                runs,
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
        g = _gamma_label(gamma)
        top = wide.idxmax() if len(wide) else None
        rows.append(
            _row(
                f"alpha_below_bound[gamma={g}]",
                'App. (Fig. 8): "the regularity constant of the invariant distribution is less than 0.9 for d > 10"',
                f"γ={g}: the largest final estimate of α over d > {min_width}; fails at {max_alpha:g} or above",
                wide.max() if len(wide) else math.nan,
                f"< {max_alpha:g}",
                wide.max() < max_alpha if len(wide) else None,
                f"d={top}: {wide.max():.4g}" if top is not None else "",
                runs,
            )
        )
        steps = pd.Series(np.diff(alpha.to_numpy()), index=alpha.index[1:])
        step_to = steps.idxmax() if len(steps) else None
        previous = alpha.index[list(alpha.index).index(step_to) - 1] if step_to is not None else None
        rows.append(
            _row(
                f"alpha_decreases_with_d[gamma={g}]",
                'App.: "the regularity constant is decreasing with respect to d"',
                f"γ={g}: the largest change of the final estimate from one width to the next; fails at 0 or above",
                steps.max() if len(steps) else math.nan,
                "< 0",
                steps.max() < 0 if len(steps) else None,
                f"d={previous}→{step_to}: {alpha[previous]:.4g} → {alpha[step_to]:.4g}" if step_to else "",
                runs,
            )
        )
    return rows


def fig9(table: pd.DataFrame, slope: tuple[float, float]) -> list[dict]:
    """E_ν‖M‖_F² grows like d^1.5 and stays under the Lemma-13 bound."""
    rows = []
    for gamma, t in table.sort_values("d").groupby("gamma"):
        g = _gamma_label(gamma)
        s = loglog_slope(t["d"], t["frob2"])
        samples = f"{int(t['samples'].min())}+ samples per width" if "samples" in t else ""
        rows.append(
            _row(
                f"frob2_grows_like_d^1.5[gamma={g}]",
                'App. (Lemma 13): "an upper-bound O(d^1.5) is achievable on the Frobenius norm"',
                f"γ={g}: log-log slope of E‖M‖_F² against d; fails outside [{slope[0]:g}, {slope[1]:g}]",
                s,
                f"in [{slope[0]:g}, {slope[1]:g}]",
                slope[0] <= s <= slope[1] if len(t) >= 2 else None,
                f"slope over d = {t['d'].min()}..{t['d'].max()}: {s:.3g}",
                samples,
            )
        )
        ratio = t["frob2"] / t["bound"]
        worst = t.loc[ratio.idxmax()]
        rows.append(
            _row(
                f"frob2_below_lemma13_bound[gamma={g}]",
                'App.: "we experimentally validate the result of the last lemma in Fig. 9"',
                f"γ={g}: the largest ratio over d of E‖M‖_F² to the Lemma-13 bound; fails above 1",
                ratio.max(),
                "<= 1",
                ratio.max() <= 1,
                f"d={int(worst['d'])}: {worst['frob2']:.4g} vs bound {worst['bound']:.4g}",
                samples,
            )
        )
    return rows


# ---------------------------------------------------------------- trained networks (Figs 1, 4, 6, 11, 12)


def _worst(metric: str) -> float:
    """The value a diverged seed counts with: the worst its metric can take (infinite for
    a loss, 0 for an accuracy or a rank)."""
    return math.inf if "loss" in metric else 0.0


def _with_diverged(frame: pd.DataFrame, metric: str) -> pd.Series:
    """``frame[metric]``, with the worst value for rows of diverged models (MLPs record
    the epoch they diverged in, CNNs the iteration)."""
    column = next((c for c in ("diverged_epoch", "diverged_iteration") if c in frame), None)
    diverged = frame[column].notna() if column else False
    return frame[metric].mask(diverged, _worst(metric))


def _seeds(table: pd.DataFrame, variant: str, depth: int | None = None) -> str:
    """'<variant> <seeds> (<k> diverged)': the seeds behind a variant's value (at ``depth``, or per depth)."""
    runs = table[(table["variant"] == variant) & (table["epoch"] == table["epoch"].max())]
    runs = runs if depth is None else runs[runs["depth"] == depth]
    seeds = runs["seed"].nunique()
    diverged = int(runs["diverged_epoch"].notna().sum())
    return f"{variant} {seeds}" + (f" ({diverged} diverged)" if diverged else "")


def _compare(
    ours: np.ndarray, theirs: np.ndarray, lower_is_better: bool, seed_majority: float
) -> tuple[float, float, bool]:
    """Advantage of ``ours`` over ``theirs`` (difference of means, positive when ours is
    better), the fraction of all (our seed, their seed) pairs in which ours is strictly
    better, and whether the claim holds: advantage > 0 and fraction > ``seed_majority``."""
    ours, theirs = np.asarray(ours, float), np.asarray(theirs, float)
    sign = -1.0 if lower_is_better else 1.0
    with np.errstate(invalid="ignore"):
        advantage = sign * (ours.mean() - theirs.mean())
        better = sign * (ours[:, None] - theirs[None, :]) > 0
    advantage = -math.inf if math.isnan(advantage) else float(advantage)  # both infinite: ours not better
    fraction = float(better.mean()) if better.size else math.nan
    return advantage, fraction, advantage > 0 and fraction > seed_majority


def fig1(
    table: pd.DataFrame,
    vanilla_max_rank: float,
    vanilla_max_r: float,
    bn_min_rank_fraction: float,
    shallow_depth: int,
    vanilla_min_drop: float,
    bn_max_drop: float,
) -> list[dict]:
    """Vanilla rank and r(H) collapse with depth at init, BN's rank stays near full;
    vanilla accuracy drops past depth ~10 while BN's barely falls."""
    rows = []
    init = table.dropna(subset=["rank_init"])
    width, dtype = int(table["width"].iloc[0]), init["rank_dtype"].iloc[0]
    rank = init.groupby(["network", "depth"])["rank_init"].mean()
    r = init.groupby(["network", "depth"])["lower_bound_init"].mean()
    n = init.groupby(["network", "depth"])["seed"].nunique()
    deepest = rank.index.get_level_values("depth").max()
    collapse = 'Sec. 1 (Fig. 1): "the rank in the last hidden layer of the vanilla networks collapses with depth"'
    v = rank["vanilla"][deepest]
    rows.append(
        _row(
            "vanilla_rank_collapses",
            collapse,
            f"matrix_rank in {dtype} (float32 shows the published collapse, float64 does not: see the docs) of the "
            f"vanilla nets' last hidden layer at init, mean at depth {deepest}; fails above {vanilla_max_rank:g}",
            v,
            f"<= {vanilla_max_rank:g}",
            v <= vanilla_max_rank,
            f"depth {deepest}: mean rank {v:.3g} ({dtype})",
            f"{n['vanilla'][deepest]} seeds",
        )
    )
    v = r["vanilla"][deepest]
    rows.append(
        _row(
            "vanilla_r_collapses",
            collapse,
            f"r(H) = tr(M)²/‖M‖²_F (Lemma 1's lower bound on the rank; no tolerance, so no dtype effect) of the "
            f"vanilla nets' last hidden layer at init, mean at depth {deepest}; fails above {vanilla_max_r:g}",
            v,
            f"<= {vanilla_max_r:g}",
            v <= vanilla_max_r,
            f"depth {deepest}: mean r(H) {v:.3g}",
            f"{n['vanilla'][deepest]} seeds",
        )
    )
    floor = bn_min_rank_fraction * width
    b = rank["bn"][deepest]
    rows.append(
        _row(
            "bn_rank_stays_high",
            'Sec. 1: "Batch-normalized networks, however, preserve a high rank across all network sizes"',
            f"the BN nets' mean matrix_rank ({dtype}) at init at depth {deepest}; fails below "
            f"{bn_min_rank_fraction:g} × width {width}",
            b,
            f">= {floor:g}",
            b >= floor,
            f"depth {deepest}: mean rank {b:.4g} {_cmp(b, floor)} {floor:g}",
            f"{n['bn'][deepest]} seeds",
        )
    )
    trained = table.dropna(subset=["lr"])
    trained = trained.assign(train_acc=_with_diverged(trained, "train_acc"))
    acc = trained.groupby(["network", "depth"])["train_acc"].mean()
    networks = acc.index.get_level_values("network")
    a = acc["vanilla"] if "vanilla" in networks else pd.Series(dtype=float)
    shallow, deep = a[a.index <= shallow_depth], a[a.index > shallow_depth]
    value = shallow.mean() - deep.mean() if len(shallow) and len(deep) else math.nan
    vanilla_runs = trained[trained["network"] == "vanilla"]
    rows.append(
        _row(
            "vanilla_accuracy_falls_past_depth",
            'Sec. 1: "they are essentially unable to learn (in a limited number of epochs) as soon as the number '
            'of layers is above 10"',
            f"mean final training accuracy of vanilla nets up to depth {shallow_depth} minus beyond it (diverged "
            f"seeds count as 0); fails below {vanilla_min_drop:g}",
            value,
            f">= {vanilla_min_drop:g}",
            value >= vanilla_min_drop if np.isfinite(value) else None,
            f"depths ≤ {shallow_depth}: {shallow.mean():.3g}, depths > {shallow_depth}: {deep.mean():.3g}"
            if np.isfinite(value)
            else "",
            f"{vanilla_runs['seed'].nunique()} seeds per depth, {int(vanilla_runs['diverged_epoch'].notna().sum())} "
            "diverged",
        )
    )
    a = acc["bn"] if "bn" in networks else pd.Series(dtype=float)
    value = a.iloc[0] - a.iloc[-1] if len(a) >= 2 else math.nan
    bn_runs = trained[trained["network"] == "bn"]
    rows.append(
        _row(
            "bn_accuracy_barely_falls",
            'Sec. 1: "their training accuracy drops only very mildly as the networks reach depth 32"',
            f"mean final training accuracy of BN nets at the shallowest depth minus at the deepest (diverged "
            f"seeds count as 0); fails above {bn_max_drop:g}",
            value,
            f"<= {bn_max_drop:g}",
            value <= bn_max_drop if np.isfinite(value) else None,
            f"depth {a.index[0]}: {a.iloc[0]:.3g}, depth {a.index[-1]}: {a.iloc[-1]:.3g}" if len(a) >= 2 else "",
            f"{bn_runs['seed'].nunique()} seeds per depth, {int(bn_runs['diverged_epoch'].notna().sum())} diverged",
        )
    )
    return rows


METRIC_WORDS = {"train_loss": "training loss", "train_acc": "training accuracy", "test_loss": "test loss"}


def _final(table: pd.DataFrame, metric: str) -> pd.Series:
    """Final-epoch ``metric`` per (variant, depth, seed), diverged seeds at the worst value."""
    last = table[table["epoch"] == table["epoch"].max()]
    return last.assign(**{metric: _with_diverged(last, metric)}).set_index(["variant", "depth", "seed"])[metric]


def _slowdown(final: pd.Series, variant: str, lower_is_better: bool) -> pd.Series:
    """Per seed: how much the final metric worsens from the shallowest to the deepest net
    (NaN, when both are infinite, counts as infinitely worse)."""
    per_depth = final[variant].unstack("depth")
    shallow, deep = per_depth.iloc[:, 0], per_depth.iloc[:, -1]
    with np.errstate(invalid="ignore"):
        change = (deep - shallow) if lower_is_better else (shallow - deep)
    return change.fillna(math.inf).rename(final.name)


def _slowdown_claims(
    table: pd.DataFrame, metric: str, pretrained: str, bn: str, unpretrained: str, seed_majority: float
) -> list[dict]:
    """Figs 4, 11, 12: pretrained nets slow down less with depth than BN nets, beat BN
    at the deepest net, and (sanity) slow down less than the same nets without pretraining."""
    lower_is_better = "loss" in metric
    words = METRIC_WORDS[metric]
    final = _final(table, metric)
    variants = set(final.index.get_level_values("variant"))
    depths = sorted(set(final.index.get_level_values("depth")))
    criterion = f"> 0, and better in > {seed_majority:g} of seed pairs"
    fourth = (
        "the pretrained nets' advantage (difference of means) and the fraction of (pretrained seed, other seed) "
        "pairs in which the pretrained net is better"
    )
    rows = []
    slow = 'Sec. 4 (Fig. 4): "the slow down in depth is much less severe for the pre-trained networks"'
    if metric != "train_loss":
        slow = 'Sec. 4: "This improvement is, also, reflected both in terms of training accuracy and test loss"'
    for claim, other, paper in (
        (f"pretrained_slows_down_less_than_bn[{metric}]", bn, slow),
        (f"pretraining_slows_down_less_than_unpretrained[{metric}]", unpretrained, SANITY),
    ):
        statement = (
            f"how much the final {words} worsens from depth {depths[0]} to depth {depths[-1]}, per seed: "
            f"{pretrained} against {other}; value: {fourth}; fails unless both favour {pretrained}"
        )
        if not {pretrained, other} <= variants or len(depths) < 2:
            rows.append(_row(claim, paper, f"needs {pretrained} and {other} at two depths or more", math.nan, "", None))
            continue
        ours = _slowdown(final, pretrained, lower_is_better)
        theirs = _slowdown(final, other, lower_is_better)
        advantage, fraction, holds = _compare(ours, theirs, True, seed_majority)
        rows.append(
            _row(
                claim,
                paper,
                statement,
                advantage,
                criterion,
                holds,
                f"mean worsening {pretrained} {ours.mean():.3g}, {other} {theirs.mean():.3g}; {pretrained} better in "
                f"{fraction:.0%} of pairs",
                f"{_seeds(table, pretrained)}, {_seeds(table, other)} per depth",
            )
        )
    claim = f"pretrained_beats_bn_at_depth[{metric}]"
    paper = (
        'Sec. 4: "the pre-training is not only faster than Bn on deep networks"; Sec. 1: "our pre-training method '
        'allows vanilla SGD to outperform Bn on very deep MLPs"'
    )
    if {pretrained, bn} <= variants:
        deepest = depths[-1]
        ours, theirs = final[pretrained][deepest], final[bn][deepest]
        advantage, fraction, holds = _compare(ours, theirs, lower_is_better, seed_majority)
        rows.append(
            _row(
                claim,
                paper,
                f"final {words} at depth {deepest}: {pretrained} against {bn}; value: {fourth}; fails unless both "
                f"favour {pretrained} (no tolerance for BN)",
                advantage,
                criterion,
                holds,
                f"depth {deepest}: {pretrained} {ours.mean():.4g}, {bn} {theirs.mean():.4g}; {pretrained} better in "
                f"{fraction:.0%} of pairs",
                f"{_seeds(table, pretrained, deepest)}, {_seeds(table, bn, deepest)}",
            )
        )
    else:
        rows.append(_row(claim, paper, f"needs {pretrained} and {bn}", math.nan, "", None))
    return rows


def _gain(table: pd.DataFrame, variant: str) -> pd.Series:
    """Mean factor by which pretraining raised r(H) of the last hidden layer's
    pre-activation, per depth."""
    runs = table[table["variant"] == variant].drop_duplicates(["depth", "seed"])
    return (runs["r_pre_after_pretraining"] / runs["r_pre_before_pretraining"]).groupby(runs["depth"]).mean()


def _pretraining_claims(table: pd.DataFrame, pretrained: str, public: str | None, min_rank_gain: float) -> list[dict]:
    """Figs 4, 12: layer-wise Algorithm 1 raises r(H) of the last hidden layer, and the
    public code's last-layer pretraining raises it less."""
    rows = []
    present = set(table["variant"])
    n = table[table["variant"] == pretrained]["seed"].nunique()
    gain = _gain(table, pretrained) if pretrained in present else pd.Series(dtype=float)
    worst = gain.idxmin() if len(gain) else None
    rows.append(
        _row(
            "layerwise_pretraining_raises_r",
            'Sec. 4: "we maximize the lower-bound (in Eq. (4)) on the rank of the hidden presentation in each layer"',
            f"{pretrained}: mean factor by which pretraining raised r(H) of the last hidden layer's pre-activation "
            f"(probe batch), at the depth where it is smallest; fails below {min_rank_gain:g}",
            gain.min() if len(gain) else math.nan,
            f">= {min_rank_gain:g}",
            gain.min() >= min_rank_gain if len(gain) else None,
            f"depth {worst}: ×{gain.min():.3g}" if worst is not None else "",
            f"{n} seeds per depth",
        )
    )
    if public:
        theirs = _gain(table, public) if public in present else pd.Series(dtype=float)
        both = pd.concat([gain, theirs], axis=1, keys=["ours", "public"]).dropna()
        margin = both["ours"] - both["public"]
        worst = margin.idxmin() if len(margin) else None
        rows.append(
            _row(
                "public_pretraining_raises_r_less",
                "none: this workflow's reason for pretraining layer-wise rather than replaying the public code's "
                "last-layer pretraining (see the docs)",
                f"{public} (the public code's last-layer pretraining) against {pretrained}: factor by which "
                "pretraining raised r(H) of the last hidden layer, smallest margin over depths; fails unless "
                "layer-wise raises it more at every depth",
                margin.min() if len(margin) else math.nan,
                "> 0",
                margin.min() > 0 if len(margin) else None,
                f"depth {worst}: {pretrained} ×{both['ours'][worst]:.3g}, {public} ×{both['public'][worst]:.3g}"
                if worst is not None
                else "",
                f"{n} seeds per depth",
            )
        )
    return rows


def fig4(
    table: pd.DataFrame,
    seed_majority: float = 0.5,
    min_rank_gain: float = 2.0,
    pretrained: str = "pretrained",
    bn: str = "bn",
    unpretrained: str = "vanilla_xavier",
    public: str | None = None,
) -> list[dict]:
    """Figs 4 and 12: the claims on the final training loss, and on what pretraining
    does to r(H). The string settings name the experiment's variants in each role."""
    return _slowdown_claims(table, "train_loss", pretrained, bn, unpretrained, seed_majority) + _pretraining_claims(
        table, pretrained, public, min_rank_gain
    )


def fig11(
    table: pd.DataFrame,
    seed_majority: float = 0.5,
    pretrained: str = "pretrained",
    bn: str = "bn",
    unpretrained: str = "vanilla_xavier",
) -> list[dict]:
    """Fig 11: the same comparisons on the final training accuracy and test loss."""
    return [
        row
        for metric in ("train_acc", "test_loss")
        for row in _slowdown_claims(table, metric, pretrained, bn, unpretrained, seed_majority)
    ]


def kendall_tau(x: Sequence[float], y: Sequence[float]) -> float:
    """Kendall's τ-a: agreement of the orders of x and y over all pairs."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    i, j = np.triu_indices(len(x), 1)
    return float(np.mean(np.sign(x[i] - x[j]) * np.sign(y[i] - y[j]))) if len(i) else math.nan


def fig6(table: pd.DataFrame, max_asymmetric_rank_ratio: float, min_order_agreement: float) -> list[dict]:
    """More pretraining: higher r(H) and faster training; the asymmetric init lowers BN's
    r(H) significantly and slows it; SGD keeps the order of the initial r(H).

    r(H) is that of the last hidden layer's pre-activation (``r_pre``), where Algorithm 1
    maximises it; diverged seeds count with r(H) = 0 and accuracy 0."""
    first, last = table["epoch"].min(), table["epoch"].max()
    t = table.assign(r_pre=_with_diverged(table, "r_pre"), train_acc=_with_diverged(table, "train_acc"))
    kinds = t.drop_duplicates("variant").set_index("variant")
    r0 = t[t["epoch"] == first].groupby("variant")["r_pre"].mean()
    r1 = t[t["epoch"] == last].groupby("variant")["r_pre"].mean()
    acc = t[t["epoch"] == last].groupby("variant")["train_acc"].mean()
    diverged = t[t["epoch"] == last]["diverged_epoch"].notna().sum()
    seeds = f"{t['seed'].nunique()} seeds per variant, {diverged} diverged"
    rows = []
    plain = kinds[kinds["norm"] == "none"].sort_values("pretrain_iterations").index
    level = (
        'Sec. 4 (Fig. 6): "the clear correlation between the level of pre-training and optimization performance '
        'on vanilla nets"'
    )
    for claim, values, what, paper in (
        ("pretraining_raises_r", r0, "r(H) of the last hidden pre-activation at epoch 0", level),
        ("pretraining_speeds_training", acc, f"final training accuracy (epoch {last})", level),
    ):
        if len(plain) < 2:
            rows.append(_row(claim, paper, "needs two vanilla variants or more", math.nan, "", None))
            continue
        steps = np.diff(values[plain].to_numpy())
        rows.append(
            _row(
                claim,
                paper,
                f"{what} in the order of pretraining ({' < '.join(plain)}); value: the smallest step; fails at 0 "
                "or below",
                steps.min(),
                "> 0",
                steps.min() > 0,
                " → ".join(f"{v} {values[v]:.3g}" for v in plain),
                seeds,
            )
        )
    bn = kinds[kinds["norm"] == "bn"]
    standard, asymmetric = bn[bn["init"] == "pytorch"].index, bn[bn["init"] == "asymmetric"].index
    breaking = (
        'Sec. 4: "this small change reduces the rank preserving quality of BN significantly, which is reflected in '
        'much slower learning behaviour"'
    )
    if len(standard) and len(asymmetric):
        s, a = standard[0], asymmetric[0]
        rows.append(
            _row(
                "asymmetric_init_lowers_bn_r",
                breaking,
                "BN's r(H) at epoch 0 with the asymmetric init as a fraction of the standard init's "
                f"('significantly'); fails above {max_asymmetric_rank_ratio:g}",
                r0[a] / r0[s],
                f"<= {max_asymmetric_rank_ratio:g}",
                r0[a] / r0[s] <= max_asymmetric_rank_ratio,
                f"{a} {r0[a]:.3g}, {s} {r0[s]:.3g}",
                seeds,
            )
        )
        rows.append(
            _row(
                "asymmetric_init_slows_bn",
                breaking,
                "BN's final training accuracy, asymmetric minus standard init; fails at 0 or above",
                acc[a] - acc[s],
                "< 0",
                acc[a] < acc[s],
                f"{a} {acc[a]:.3g}, {s} {acc[s]:.3g}",
                seeds,
            )
        )
    tau = kendall_tau(r0.to_numpy(), r1[r0.index].to_numpy())
    rows.append(
        _row(
            "sgd_keeps_r_order",
            'Sec. 4: "SGD preserves the initial magnitude of the rank to a large extent, regardless of the specific '
            'network type"',
            f"Kendall τ between the variants' mean r(H) at epoch {first} and at epoch {last}; fails below "
            f"{min_order_agreement:g}",
            tau,
            f">= {min_order_agreement:g}",
            tau >= min_order_agreement,
            "; ".join(f"{v} {r0[v]:.3g} → {r1[v]:.3g}" for v in r0.sort_values().index),
            seeds,
        )
    )
    return rows


# ---------------------------------------------------------------- convolutional networks (Figs 5, 7, 10, 13)


def _runs(table: pd.DataFrame, variant: str, metric: str, diverged_worst: bool = True) -> pd.DataFrame:
    """``metric`` of a variant's runs, iterations × seeds. A diverged run stops recording:
    it keeps its worst value (``_worst``) from then on, unless ``diverged_worst`` is off
    (a quantity, like the alignment, that a diverged net does not have)."""
    runs = table[table["variant"] == variant]
    values = _with_diverged(runs, metric) if diverged_worst else runs[metric]
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


def _worst_iteration(gap: pd.Series) -> str:
    return f"iteration {gap.idxmax()}" if gap.notna().any() else "no iteration"


def breaking_bn(
    table: pd.DataFrame,
    standard: str,
    asymmetric: str,
    nocenter: str,
    max_rank_ratio: float,
    max_asymmetric_accuracy: float,
    min_standard_accuracy: float,
    max_accuracy_gap: float,
) -> list[dict]:
    """Figs 5 and 13: the asymmetric init keeps BN's last-layer rank far lower and the net
    near chance while standard BN trains; BN without centring trains like BN."""
    breaking = 'Sec. 4: "this small change reduces the rank preserving quality of BN significantly"'
    unfit = (
        'Sec. 4: "Even sophisticated modern day architectures such as VGG and ResNet networks are unable to fit the '
        'CIFAR-10 dataset after changing the initialization in this way"'
    )
    ratio = _curve(table, asymmetric, "matrix_rank") / _curve(table, standard, "matrix_rank")
    asym_acc, std_acc = _last(table, asymmetric, "train_acc"), _last(table, standard, "train_acc")
    nocenter_acc = _last(table, nocenter, "train_acc")
    gap = abs(nocenter_acc.mean() - std_acc.mean())
    last = table["iteration"].max()
    worst = ratio.idxmax() if ratio.notna().any() else None
    return [
        _row(
            "asymmetric_init_lowers_rank",
            breaking + " (Figs. 5, 13, right: matrix_rank of the last hidden layer)",
            f"mean matrix_rank of the last hidden layer, {asymmetric} over {standard}, at every recorded iteration; "
            f"value: the largest ratio; fails above {max_rank_ratio:g}",
            ratio.max(),
            f"<= {max_rank_ratio:g}",
            ratio.max() <= max_rank_ratio,
            f"iteration {worst}: {asymmetric} {_curve(table, asymmetric, 'matrix_rank')[worst]:.3g}, "
            f"{standard} {_curve(table, standard, 'matrix_rank')[worst]:.3g}"
            if worst is not None
            else "",
            _cnn_seeds(table, asymmetric, standard),
        ),
        _row(
            "asymmetric_init_does_not_fit",
            unfit,
            f"final training accuracy (iteration {last}) of every {asymmetric} seed, near chance (0.1); value: the "
            f"highest; fails above {max_asymmetric_accuracy:g}",
            asym_acc.max(),
            f"<= {max_asymmetric_accuracy:g}",
            asym_acc.max() <= max_asymmetric_accuracy,
            " ".join(f"seed {s}: {a:.3g}" for s, a in asym_acc.items()),
            _cnn_seeds(table, asymmetric),
        ),
        _row(
            "standard_bn_fits",
            unfit + " — while the standard init trains (Figs. 5, 13, left)",
            f"final training accuracy of every {standard} seed; value: the lowest; fails below "
            f"{min_standard_accuracy:g}",
            std_acc.min(),
            f">= {min_standard_accuracy:g}",
            std_acc.min() >= min_standard_accuracy,
            " ".join(f"seed {s}: {a:.3g}" for s, a in std_acc.items()),
            _cnn_seeds(table, standard),
        ),
        _row(
            "nocenter_trains_like_bn",
            'App. (Comment on BN-centering): "we empirically observed that Bn without centering also works well on '
            'modern neural architectures"',
            f"|mean final training accuracy of {nocenter} − that of {standard}|; fails above {max_accuracy_gap:g}",
            gap,
            f"<= {max_accuracy_gap:g}",
            gap <= max_accuracy_gap,
            f"{nocenter} {nocenter_acc.mean():.3g}, {standard} {std_acc.mean():.3g}",
            _cnn_seeds(table, nocenter, standard),
        ),
    ]


def fig7(table: pd.DataFrame, bn: str, nocenter: str, max_accuracy_gap: float, max_r_ratio: float) -> list[dict]:
    """BN without centring matches BN in training accuracy and r(H) over iterations."""
    paper = (
        'App. (Comment on BN-centering): "Fig. 7 shows that the centering does not affect the performance of Bn on a '
        'VGG net when training CIFAR-10"'
    )
    acc_gap = (_curve(table, nocenter, "train_acc") - _curve(table, bn, "train_acc")).abs()
    r_nc, r_bn = _curve(table, nocenter, "lower_bound"), _curve(table, bn, "lower_bound")
    r_ratio = np.maximum(r_nc / r_bn, r_bn / r_nc)
    seeds = _cnn_seeds(table, nocenter, bn)
    a, r = acc_gap.idxmax() if acc_gap.notna().any() else None, r_ratio.idxmax() if r_ratio.notna().any() else None
    return [
        _row(
            "nocenter_matches_bn_accuracy",
            paper,
            f"|mean training accuracy of {nocenter} − {bn}| at every recorded iteration; value: the largest; fails "
            f"above {max_accuracy_gap:g}",
            acc_gap.max(),
            f"<= {max_accuracy_gap:g}",
            acc_gap.max() <= max_accuracy_gap,
            f"iteration {a}: {nocenter} {_curve(table, nocenter, 'train_acc')[a]:.3g}, "
            f"{bn} {_curve(table, bn, 'train_acc')[a]:.3g}"
            if a is not None
            else "",
            seeds,
        ),
        _row(
            "nocenter_matches_bn_r",
            paper + " (Fig. 7, right: r(H_L) of the last hidden layer)",
            f"mean r(H) of the last hidden layer, {nocenter} against {bn}, larger over smaller, at every recorded "
            f"iteration; value: the largest; fails above {max_r_ratio:g}",
            r_ratio.max(),
            f"<= {max_r_ratio:g}",
            r_ratio.max() <= max_r_ratio,
            f"iteration {r}: {nocenter} {r_nc[r]:.3g}, {bn} {r_bn[r]:.3g}" if r is not None else "",
            seeds,
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
) -> list[dict]:
    """Without BN the final layer's per-sample gradients are aligned and the net does not
    train, even at 100× the learning rate, taking nearly the same path on random images;
    with BN the alignment stays clearly lower.

    The alignment leaves out samples whose last hidden representation is all zero (no
    direction); an iteration where fewer than two samples of a run have one has no
    alignment for that run."""
    appendix = "App. (Fig. 10): "
    aligned = {v: _curve(table, v, "alignment", diverged_worst=False) for v in (none, random)}
    lowest = {v: c.min() for v, c in aligned.items()}
    low_variant = min(lowest, key=lambda v: np.nan_to_num(lowest[v], nan=np.inf))
    finals = {v: _last(table, v, "train_acc") for v in (none, high_lr)}
    best = max(finals, key=lambda v: finals[v].max())
    path_gap = (_curve(table, none, "train_acc") - _curve(table, random, "train_acc")).abs()
    bn_gap = aligned[none] - _curve(table, bn, "alignment", diverged_worst=False)
    g = bn_gap.idxmin() if bn_gap.notna().any() else None
    zero = table[table["variant"] == high_lr]["zero_samples"]
    return [
        _row(
            "no_bn_gradients_aligned",
            appendix + '"the network shows perfectly aligned gradients without Bn"',
            f"mean |cos| between per-sample gradients of the final layer (= |cos(h_i, h_j)|, Prop. 19) of {none} and "
            f"{random}, at every recorded iteration; value: the lowest; fails below {min_alignment:g}",
            min(lowest.values()),
            f">= {min_alignment:g}",
            min(lowest.values()) >= min_alignment,
            f"{low_variant} at {_worst_iteration(-aligned[low_variant])}: {lowest[low_variant]:.3g}; {high_lr}: up "
            f"to {int(zero.max()) if len(zero) else 0} samples without a direction",
            _cnn_seeds(table, none, random),
        ),
        _row(
            "no_bn_does_not_train",
            appendix + '"which renders it un-trainable", "even a 100x increase in the learning rate does not allow '
            'training"',
            f"final training accuracy of every {none} and {high_lr} seed, near chance (0.1); value: the highest; fails "
            f"above {max_accuracy:g}",
            finals[best].max(),
            f"<= {max_accuracy:g}",
            finals[best].max() <= max_accuracy,
            "; ".join(f"{v}: " + " ".join(f"{a:.3g}" for a in f) for v, f in finals.items()),
            _cnn_seeds(table, none, high_lr),
        ),
        _row(
            "random_data_same_path",
            appendix + '"SGD takes almost the exact same path on this data (compare log accuracy on the left hand '
            'side)"',
            f"|mean training accuracy of {none} − {random}| at every recorded iteration; value: the largest; fails "
            f"above {max_path_gap:g}",
            path_gap.max(),
            f"<= {max_path_gap:g}",
            path_gap.max() <= max_path_gap,
            _worst_iteration(path_gap)
            + (
                f": {none} {_curve(table, none, 'train_acc')[path_gap.idxmax()]:.3g}, "
                f"{random} {_curve(table, random, 'train_acc')[path_gap.idxmax()]:.3g}"
                if path_gap.notna().any()
                else ""
            ),
            _cnn_seeds(table, none, random),
        ),
        _row(
            "bn_alignment_below_no_bn",
            appendix + "BN + SGD against no BN + SGD (Fig. 10, right), the contrast of Prop. 19",
            f"mean alignment of {none} minus that of {bn} at every recorded iteration; value: the smallest; fails "
            f"below {min_alignment_gap:g}",
            bn_gap.min(),
            f">= {min_alignment_gap:g}",
            bn_gap.min() >= min_alignment_gap,
            f"iteration {g}: {none} {aligned[none][g]:.3g}, {bn} {aligned[none][g] - bn_gap[g]:.3g}"
            if g is not None
            else "",
            _cnn_seeds(table, none, bn),
        ),
    ]


def check(claims: Callable[..., list[dict]], table: pd.DataFrame, thresholds: dict, note: str = "") -> pd.DataFrame:
    """A figure's ``claims`` check run on its table, as a frame; ``note`` (a reduced preset's
    or a stand-in's label) goes on every row, so that no claim reads as measured at the
    paper's scale when it was not."""
    return pd.DataFrame(claims(table, **thresholds), columns=COLUMNS).assign(note=note)


def summary(claims: dict[str, pd.DataFrame], title: str = "Claims") -> str:
    """Markdown report of every figure's claims, with a count per status."""
    everything = pd.concat(claims.values(), ignore_index=True) if claims else pd.DataFrame(columns=COLUMNS)
    counts = everything["status"].value_counts()
    lines = [
        f"# {title}",
        "",
        "Each claim of the paper that a figure can check, measured on this run: the sentence it tests, what is "
        "measured and what would make it fail, and the case that decides it.",
        "",
        ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES),
        "",
    ]
    for figure, rows in claims.items():
        lines += [f"## {figure}", ""]
        lines += [f"_Note: {note}_\n" for note in rows["note"].fillna("").unique() if note]
        lines += [
            "| claim | paper | statement | value | threshold | status | deciding case | seeds |",
            "|---|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r.claim} | {r.paper} | {r.statement} | {r.value:.4g} | {r.threshold} | **{r.status}** | "
            f"{r.deciding} | {r.seeds} |"
            for r in rows.fillna({"deciding": "", "seeds": ""}).itertuples()
        ]
        lines.append("")
    return "\n".join(lines)
