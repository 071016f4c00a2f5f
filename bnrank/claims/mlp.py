"""The claims of the trained MLPs (Figs 1, 4, 6, 11, 12).

Decided over seeds: a seed that diverged counts with the worst value of its metric
(``with_diverged``), never as missing. A comparison of the pretrained nets with another
variant is a ``Preference`` held to ``Favours``. A claim read from trained networks is
decided only once the figure's reference (the variant the paper says trains) has
converged at every depth the claim reads (``ConvergenceTest``); claims about
initialisation, or about what pretraining does to r(H) before training, always are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from bnrank.claims.common import (
    ConvergenceTest,
    Favours,
    Preference,
    above,
    at_least,
    at_most,
    below,
    claim,
    versus,
    where_min,
    with_diverged,
)

SANITY = "none: a sanity check of this workflow, not a statement of the paper"
METRIC_WORDS = {"train_loss": "training loss", "train_acc": "training accuracy", "test_loss": "test loss"}


def _seeds(table: pd.DataFrame, variant: str, depth: int | None = None) -> str:
    """'<variant> <seeds> (<k> diverged)': the seeds behind a variant's value (at ``depth``, or per depth)."""
    runs = table[(table["variant"] == variant) & (table["epoch"] == table["epoch"].max())]
    runs = runs if depth is None else runs[runs["depth"] == depth]
    seeds = runs["seed"].nunique()
    diverged = int(runs["diverged_epoch"].notna().sum())
    return f"{variant} {seeds}" + (f" ({diverged} diverged)" if diverged else "")


def _reference(table: pd.DataFrame, variant: str, depths, column: str = "variant") -> dict[str, pd.DataFrame]:
    """The reference ``variant``'s runs at each of ``depths``, by name, for ``ConvergenceTest``
    (a reference without runs is named alone: it has not converged)."""
    runs = table[table[column] == variant]
    if runs.empty:
        return {variant: runs}
    return {f"{variant} at depth {d}": runs[runs["depth"] == d] for d in depths}


def fig1(
    table: pd.DataFrame,
    vanilla_max_rank: float,
    vanilla_max_r: float,
    bn_min_rank_fraction: float,
    shallow_depth: int,
    vanilla_min_drop: float,
    bn_max_drop: float,
    reference: str = "bn",
    *,
    max_relative_improvement: float,
    fit_accuracy: float,
) -> list[dict]:
    """Vanilla rank and r(H) collapse with depth at init, BN's rank stays near full;
    vanilla accuracy drops past depth ~10 while BN's barely falls. The accuracy claims are
    decided once the ``reference`` has converged at the depths each reads."""
    init = table.dropna(subset=["rank_init"])
    width, dtype = int(table["width"].iloc[0]), init["rank_dtype"].iloc[0]
    rank = init.groupby(["network", "depth"])["rank_init"].mean()
    r = init.groupby(["network", "depth"])["lower_bound_init"].mean()
    n = init.groupby(["network", "depth"])["seed"].nunique()
    deepest = rank.index.get_level_values("depth").max()
    collapse = 'Sec. 1 (Fig. 1): "the rank in the last hidden layer of the vanilla networks collapses with depth"'
    floor = bn_min_rank_fraction * width
    b = rank["bn"][deepest]
    rows = [
        claim(
            name="vanilla_rank_collapses",
            paper=collapse,
            measured=f"matrix_rank in {dtype} (float32 shows the published collapse, float64 does not: see the docs) "
            f"of the vanilla nets' last hidden layer at init, mean at depth {deepest}",
            value=rank["vanilla"][deepest],
            comparison=at_most(vanilla_max_rank),
            deciding=f"depth {deepest}: mean rank {rank['vanilla'][deepest]:.3g} ({dtype})",
            seeds=f"{n['vanilla'][deepest]} seeds",
        ),
        claim(
            name="vanilla_r_collapses",
            paper=collapse,
            measured="r(H) = tr(M)²/‖M‖²_F (Lemma 1's lower bound on the rank; no tolerance, so no dtype effect) of "
            f"the vanilla nets' last hidden layer at init, mean at depth {deepest}",
            value=r["vanilla"][deepest],
            comparison=at_most(vanilla_max_r),
            deciding=f"depth {deepest}: mean r(H) {r['vanilla'][deepest]:.3g}",
            seeds=f"{n['vanilla'][deepest]} seeds",
        ),
        claim(
            name="bn_rank_stays_high",
            paper='Sec. 1: "Batch-normalized networks, however, preserve a high rank across all network sizes"',
            measured=f"the BN nets' mean matrix_rank ({dtype}) at init at depth {deepest}",
            value=b,
            comparison=at_least(floor, label=f"{bn_min_rank_fraction:g} × width {width}"),
            deciding=f"depth {deepest}: mean rank {b:.4g} {versus(b, floor)} {floor:g}",
            seeds=f"{n['bn'][deepest]} seeds",
        ),
    ]
    trained = table.dropna(subset=["lr"])
    trained = trained.assign(train_acc=with_diverged(trained, "train_acc"))
    test = ConvergenceTest(max_relative_improvement, fit_accuracy)
    acc = trained.groupby(["network", "depth"])["train_acc"].mean()
    networks = acc.index.get_level_values("network")
    a = acc["vanilla"] if "vanilla" in networks else pd.Series(dtype=float)
    shallow, deep = a[a.index <= shallow_depth], a[a.index > shallow_depth]
    value = shallow.mean() - deep.mean()
    vanilla_runs = trained[trained["network"] == "vanilla"]
    rows.append(
        claim(
            name="vanilla_accuracy_falls_past_depth",
            paper='Sec. 1: "they are essentially unable to learn (in a limited number of epochs) as soon as the number '
            'of layers is above 10"',
            measured=f"mean final training accuracy of vanilla nets up to depth {shallow_depth} minus beyond it "
            "(diverged seeds count as 0)",
            value=value,
            comparison=at_least(vanilla_min_drop),
            deciding=f"depths ≤ {shallow_depth}: {shallow.mean():.3g}, depths > {shallow_depth}: {deep.mean():.3g}"
            if np.isfinite(value)
            else "",
            seeds=f"{vanilla_runs['seed'].nunique()} seeds per depth, "
            f"{int(vanilla_runs['diverged_epoch'].notna().sum())} diverged",
            undecided=test.undecided(_reference(trained, reference, a.index, "network")),  # every depth it reads
        )
    )
    a = acc["bn"] if "bn" in networks else pd.Series(dtype=float)
    bn_runs = trained[trained["network"] == "bn"]
    rows.append(
        claim(
            name="bn_accuracy_barely_falls",
            paper='Sec. 1: "their training accuracy drops only very mildly as the networks reach depth 32"',
            measured="mean final training accuracy of BN nets at the shallowest depth minus at the deepest (diverged "
            "seeds count as 0)",
            value=a.iloc[0] - a.iloc[-1] if len(a) >= 2 else None,
            comparison=at_most(bn_max_drop),
            deciding=f"depth {a.index[0]}: {a.iloc[0]:.3g}, depth {a.index[-1]}: {a.iloc[-1]:.3g}"
            if len(a) >= 2
            else "",
            seeds=f"{bn_runs['seed'].nunique()} seeds per depth, {int(bn_runs['diverged_epoch'].notna().sum())} "
            "diverged",
            undecided=test.undecided(_reference(trained, reference, a.index[[0, -1]], "network"))
            if len(a) >= 2
            else None,
        )
    )
    return rows


def _final(table: pd.DataFrame, metric: str) -> pd.Series:
    """Final-epoch ``metric`` per (variant, depth, seed), diverged seeds at the worst value."""
    last = table[table["epoch"] == table["epoch"].max()]
    return last.assign(**{metric: with_diverged(last, metric)}).set_index(["variant", "depth", "seed"])[metric]


def _slowdown(final: pd.Series, variant: str, lower_is_better: bool) -> pd.Series:
    """Per seed: how much the final metric worsens from the shallowest to the deepest net
    (NaN, when both are infinite, counts as infinitely worse)."""
    per_depth = final[variant].unstack("depth")
    shallow, deep = per_depth.iloc[:, 0], per_depth.iloc[:, -1]
    with np.errstate(invalid="ignore"):
        change = (deep - shallow) if lower_is_better else (shallow - deep)
    return change.fillna(math.inf).rename(final.name)


def _slowdown_claims(
    table: pd.DataFrame,
    metric: str,
    pretrained: str,
    bn: str,
    unpretrained: str,
    seed_majority: float,
    test: ConvergenceTest,
) -> list[dict]:
    """Figs 4, 11, 12: pretrained nets slow down less with depth than BN nets, beat BN
    at the deepest net, and (sanity) slow down less than the same nets without pretraining.
    Each is decided once BN, the reference, has converged at the depths it reads."""
    lower_is_better = "loss" in metric
    words = METRIC_WORDS[metric]
    final = _final(table, metric)
    variants = set(final.index.get_level_values("variant"))
    depths = sorted(set(final.index.get_level_values("depth")))
    favoured = Favours(pretrained, seed_majority)
    fourth = (
        "the pretrained nets' advantage (difference of means) and the fraction of (pretrained seed, other seed) "
        "pairs in which the pretrained net is better"
    )
    rows = []
    slow = 'Sec. 4 (Fig. 4): "the slow down in depth is much less severe for the pre-trained networks"'
    if metric != "train_loss":
        slow = 'Sec. 4: "This improvement is, also, reflected both in terms of training accuracy and test loss"'
    for name, other, paper in (
        (f"pretrained_slows_down_less_than_bn[{metric}]", bn, slow),
        (f"pretraining_slows_down_less_than_unpretrained[{metric}]", unpretrained, SANITY),
    ):
        if not {pretrained, other} <= variants or len(depths) < 2:
            measured = f"needs {pretrained} and {other} at two depths or more"
            rows.append(claim(name=name, paper=paper, measured=measured, value=None, comparison=favoured))
            continue
        ours = _slowdown(final, pretrained, lower_is_better)
        theirs = _slowdown(final, other, lower_is_better)
        preference = Preference.of(ours, theirs, lower_is_better=True)
        rows.append(
            claim(
                name=name,
                paper=paper,
                measured=f"how much the final {words} worsens from depth {depths[0]} to depth {depths[-1]}, per "
                f"seed: {pretrained} against {other}; value: {fourth}",
                value=preference,
                comparison=favoured,
                deciding=f"mean worsening {pretrained} {ours.mean():.3g}, {other} {theirs.mean():.3g}; {pretrained} "
                f"better in {preference.fraction:.0%} of pairs",
                seeds=f"{_seeds(table, pretrained)}, {_seeds(table, other)} per depth",
                undecided=test.undecided(_reference(table, bn, [depths[0], depths[-1]])),
            )
        )
    name = f"pretrained_beats_bn_at_depth[{metric}]"
    paper = (
        'Sec. 4: "the pre-training is not only faster than Bn on deep networks"; Sec. 1: "our pre-training method '
        'allows vanilla SGD to outperform Bn on very deep MLPs"'
    )
    if not {pretrained, bn} <= variants:
        rows.append(
            claim(name=name, paper=paper, measured=f"needs {pretrained} and {bn}", value=None, comparison=favoured)
        )
        return rows
    deepest = depths[-1]
    ours, theirs = final[pretrained][deepest], final[bn][deepest]
    preference = Preference.of(ours, theirs, lower_is_better=lower_is_better)
    rows.append(
        claim(
            name=name,
            paper=paper,
            measured=f"final {words} at depth {deepest}: {pretrained} against {bn} (no tolerance for BN); value: "
            f"{fourth}",
            value=preference,
            comparison=favoured,
            deciding=f"depth {deepest}: {pretrained} {ours.mean():.4g}, {bn} {theirs.mean():.4g}; {pretrained} better "
            f"in {preference.fraction:.0%} of pairs",
            seeds=f"{_seeds(table, pretrained, deepest)}, {_seeds(table, bn, deepest)}",
            undecided=test.undecided(_reference(table, bn, [deepest])),
        )
    )
    return rows


def _gain(table: pd.DataFrame, variant: str) -> pd.Series:
    """Mean factor by which pretraining raised r(H) of the last hidden layer's
    pre-activation, per depth."""
    runs = table[table["variant"] == variant].drop_duplicates(["depth", "seed"])
    return (runs["r_pre_after_pretraining"] / runs["r_pre_before_pretraining"]).groupby(runs["depth"]).mean()


def _pretraining_claims(table: pd.DataFrame, pretrained: str, public: str | None, min_rank_gain: float) -> list[dict]:
    """Figs 4, 12: layer-wise Algorithm 1 raises r(H) of the last hidden layer, and the
    public code's last-layer pretraining raises it less."""
    present = set(table["variant"])
    n = table[table["variant"] == pretrained]["seed"].nunique()
    gain = _gain(table, pretrained) if pretrained in present else pd.Series(dtype=float)
    worst = where_min(gain)
    rows = [
        claim(
            name="layerwise_pretraining_raises_r",
            paper='Sec. 4: "we maximize the lower-bound (in Eq. (4)) on the rank of the hidden presentation in each '
            'layer"',
            measured=f"{pretrained}: mean factor by which pretraining raised r(H) of the last hidden layer's "
            "pre-activation (probe batch), at the depth where it is smallest",
            value=gain.min(),
            comparison=at_least(min_rank_gain),
            deciding=f"depth {worst}: ×{gain.min():.3g}" if worst is not None else "",
            seeds=f"{n} seeds per depth",
        )
    ]
    if public:
        theirs = _gain(table, public) if public in present else pd.Series(dtype=float)
        both = pd.concat([gain, theirs], axis=1, keys=["ours", "public"]).dropna()
        margin = both["ours"] - both["public"]
        worst = where_min(margin)
        rows.append(
            claim(
                name="public_pretraining_raises_r_less",
                paper="none: this workflow's reason for pretraining layer-wise rather than replaying the public "
                "code's last-layer pretraining (see the docs)",
                measured=f"{public} (the public code's last-layer pretraining) against {pretrained}: factor by which "
                "pretraining raised r(H) of the last hidden layer, smallest margin over depths (layer-wise minus "
                "public)",
                value=margin.min(),
                comparison=above(0),
                deciding=f"depth {worst}: {pretrained} ×{both['ours'][worst]:.3g}, {public} "
                f"×{both['public'][worst]:.3g}"
                if worst is not None
                else "",
                seeds=f"{n} seeds per depth",
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
    *,
    max_relative_improvement: float,
    fit_accuracy: float,
) -> list[dict]:
    """Figs 4 and 12: the claims on the final training loss, decided once ``bn`` has
    converged, and on what pretraining does to r(H), always decided. The string settings
    name the experiment's variants in each role."""
    slowdown = _slowdown_claims(
        table=table,
        metric="train_loss",
        pretrained=pretrained,
        bn=bn,
        unpretrained=unpretrained,
        seed_majority=seed_majority,
        test=ConvergenceTest(max_relative_improvement, fit_accuracy),
    )
    return slowdown + _pretraining_claims(table, pretrained, public, min_rank_gain)


def fig11(
    table: pd.DataFrame,
    seed_majority: float = 0.5,
    pretrained: str = "pretrained",
    bn: str = "bn",
    unpretrained: str = "vanilla_xavier",
    *,
    max_relative_improvement: float,
    fit_accuracy: float,
) -> list[dict]:
    """Fig 11: the same comparisons on the final training accuracy and test loss, decided
    once ``bn`` has converged."""
    test = ConvergenceTest(max_relative_improvement, fit_accuracy)
    return [
        row
        for metric in ("train_acc", "test_loss")
        for row in _slowdown_claims(
            table=table,
            metric=metric,
            pretrained=pretrained,
            bn=bn,
            unpretrained=unpretrained,
            seed_majority=seed_majority,
            test=test,
        )
    ]


def kendall_tau(x: Sequence[float], y: Sequence[float]) -> float:
    """Kendall's τ-a: agreement of the orders of x and y over all pairs."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    i, j = np.triu_indices(len(x), 1)
    return float(np.mean(np.sign(x[i] - x[j]) * np.sign(y[i] - y[j]))) if len(i) else math.nan


def fig6(
    table: pd.DataFrame,
    max_asymmetric_rank_ratio: float,
    min_order_agreement: float,
    reference: str = "bn",
    *,
    max_relative_improvement: float,
    fit_accuracy: float,
) -> list[dict]:
    """More pretraining: higher r(H) and faster training; the asymmetric init lowers BN's
    r(H) significantly and slows it; SGD keeps the order of the initial r(H).

    r(H) is that of the last hidden layer's pre-activation (``r_pre``), where Algorithm 1
    maximises it; diverged seeds count with r(H) = 0 and accuracy 0. The claims read after
    training are decided once the ``reference`` has converged; those at epoch 0 always are."""
    first, last = table["epoch"].min(), table["epoch"].max()
    t = table.assign(r_pre=with_diverged(table, "r_pre"), train_acc=with_diverged(table, "train_acc"))
    kinds = t.drop_duplicates("variant").set_index("variant")
    r0 = t[t["epoch"] == first].groupby("variant")["r_pre"].mean()
    r1 = t[t["epoch"] == last].groupby("variant")["r_pre"].mean()
    acc = t[t["epoch"] == last].groupby("variant")["train_acc"].mean()
    diverged = t[t["epoch"] == last]["diverged_epoch"].notna().sum()
    seeds = f"{t['seed'].nunique()} seeds per variant, {diverged} diverged"
    depths = sorted(table.loc[table["variant"] == reference, "depth"].unique())
    undecided = ConvergenceTest(max_relative_improvement, fit_accuracy).undecided(_reference(table, reference, depths))
    rows = []
    plain = kinds[kinds["norm"] == "none"].sort_values("pretrain_iterations").index
    level = (
        'Sec. 4 (Fig. 6): "the clear correlation between the level of pre-training and optimization performance '
        'on vanilla nets"'
    )
    for name, values, what, trained in (
        ("pretraining_raises_r", r0, "r(H) of the last hidden pre-activation at epoch 0", False),
        ("pretraining_speeds_training", acc, f"final training accuracy (epoch {last})", True),
    ):
        if len(plain) < 2:
            measured = "needs two vanilla variants or more"
            rows.append(claim(name=name, paper=level, measured=measured, value=None, comparison=above(0)))
            continue
        rows.append(
            claim(
                name=name,
                paper=level,
                measured=f"{what} in the order of pretraining ({' < '.join(plain)}); value: the smallest step",
                value=np.diff(values[plain].to_numpy()).min(),
                comparison=above(0),
                deciding=" → ".join(f"{v} {values[v]:.3g}" for v in plain),
                seeds=seeds,
                undecided=undecided if trained else None,
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
            claim(
                name="asymmetric_init_lowers_bn_r",
                paper=breaking,
                measured="BN's r(H) at epoch 0 with the asymmetric init as a fraction of the standard init's "
                "('significantly')",
                value=r0[a] / r0[s],
                comparison=at_most(max_asymmetric_rank_ratio),
                deciding=f"{a} {r0[a]:.3g}, {s} {r0[s]:.3g}",
                seeds=seeds,
            )
        )
        rows.append(
            claim(
                name="asymmetric_init_slows_bn",
                paper=breaking,
                measured="BN's final training accuracy, asymmetric minus standard init",
                value=acc[a] - acc[s],
                comparison=below(0),
                deciding=f"{a} {acc[a]:.3g}, {s} {acc[s]:.3g}",
                seeds=seeds,
                undecided=undecided,
            )
        )
    rows.append(
        claim(
            name="sgd_keeps_r_order",
            paper='Sec. 4: "SGD preserves the initial magnitude of the rank to a large extent, regardless of the '
            'specific network type"',
            measured=f"Kendall τ between the variants' mean r(H) at epoch {first} and at epoch {last}",
            value=kendall_tau(r0.to_numpy(), r1[r0.index].to_numpy()),
            comparison=at_least(min_order_agreement),
            deciding="; ".join(f"{v} {r0[v]:.3g} → {r1[v]:.3g}" for v in r0.sort_values().index),
            seeds=seeds,
            undecided=undecided,
        )
    )
    return rows
