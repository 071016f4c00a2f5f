"""The registry of figures: the one place that says what each figure is made of.

A figure is its table builder (``bnrank.tables``), its claims check
(``bnrank.claims``), its plot (``bnrank.plots``), a title, and — for a training figure
— the experiment whose runs it reads. Everything else derives from the entry: the
workflow's targets and rules, the config checks, the claims report and the tests.

The parameters of the three functions say what each needs, by name:

- the table builder's parameters are artefacts it reads (``ARTEFACTS``: one frame, or a
  list of frames, per name), facts about its experiment (``CONTEXT``), and the rest are
  its settings, ``figN.table`` in the config;
- the claims check takes the table and its thresholds, ``figN.claims``;
- a training figure's table builder and claims check also take the settings of
  ``convergence`` (``CONVERGENCE``) their parameters name: the table the ``window``, the
  claims the limits that say whether the figure's reference run has converged;
- the plot takes the table and any of the figure's table settings or thresholds it
  draws (Fig 8 draws its ``max_alpha`` as a reference line).

Adding a figure that reuses existing stages is one entry here, its three functions,
and its ``figN`` section in the config.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from bnrank import claims, plots, tables

# What a table builder can read, and the stage that makes it.
ARTEFACTS = {
    "depth_sweep": "chains.depth_sweep: rank notions of BN and vanilla chains over depth (Fig 2)",
    "width_ranks": "chains.width_sweep: rank notions along the chain, one file per width",
    "width_moments": "chains.width_sweep: the Lemma-7 functionals along the chain, one file per width",
    "spectrum": "chains.spectrum: top eigenvalues of M over depth from nearly collinear inputs",
    "orthogonality": "chains.orthogonality: the orthogonality gap over depth, per width, normalisation and activation",
    "gradients": "chains.gradients: ‖∂L/∂H_ℓ‖² over the layers of deep BN networks at initialisation (Fig 15)",
    "isometry": "chains.isometry: −log I(G) over depth, per normalisation and activation (Fig 16)",
    "init_ranks": "an experiment's rank notions at initialisation, one file per variant",
    "metrics": "an experiment's per-epoch training metrics, one file per (variant, depth)",
    "ranks": "an experiment's per-epoch rank notions, one file per (variant, depth)",
    "selected": "an experiment's selected learning rate per (variant, depth)",
    "pretrain_ranks": "rank notions before and after pretraining, one file per pretrained (variant, depth, seed)",
    "cnn_logs": "a CNN experiment's records over iterations, one file per (variant, seed) of the variants shown",
}
# What a training figure's table may know about its experiment.
CONTEXT = {
    "variants": "each variant's norm, init and pretraining iterations",
    "dataset": "the data set trained on (cifar10_synthetic for the stand-in; with auto, the data job's record)",
    "width": "the networks' width (network.width)",
    "seeds": "the reported seeds (the learning rate may have been selected on others)",
}
# The settings of the config's `convergence` section (bnrank.settings.Convergence), shared by
# every training figure: its table builder takes the window, its claims check the limits.
CONVERGENCE = {
    "window": "the last this fraction of a run, over which the training loss must have flattened",
    "max_relative_improvement": "flattened: the training loss fell by at most this fraction over the window",
    "fit_accuracy": "or fitted: the training accuracy at the end reached this",
}


@dataclass(frozen=True)
class Figure:
    name: str  # the target, and the config section of its table settings and claims
    title: str  # what it shows, in a line
    table: Callable
    claims: Callable
    plot: Callable
    experiment: str | None = None  # the experiment whose runs it reads (training figures)

    def _table_parameters(self) -> list[str]:
        return list(inspect.signature(self.table).parameters)

    @property
    def reads(self) -> list[str]:
        """The artefacts its table is built from."""
        return [p for p in self._table_parameters() if p in ARTEFACTS]

    @property
    def context(self) -> list[str]:
        """The facts about its experiment its table takes."""
        return [p for p in self._table_parameters() if p in CONTEXT]

    @property
    def table_settings(self) -> list[str]:
        """Its table's settings: the keys of ``figN.table``."""
        return [p for p in self._table_parameters() if p not in {**ARTEFACTS, **CONTEXT, **CONVERGENCE}]

    def _claims_parameters(self) -> list[str]:
        return list(inspect.signature(self.claims).parameters)[1:]

    @property
    def thresholds(self) -> list[str]:
        """Its claims' thresholds: the keys of ``figN.claims``."""
        return [p for p in self._claims_parameters() if p not in CONVERGENCE]

    @property
    def convergence(self) -> dict[str, list[str]]:
        """The settings of ``convergence`` its ``table`` builder and its ``claims`` check take."""
        return {
            "table": [p for p in self._table_parameters() if p in CONVERGENCE],
            "claims": [p for p in self._claims_parameters() if p in CONVERGENCE],
        }

    @property
    def plot_options(self) -> list[str]:
        """The table settings or thresholds its plot draws."""
        return list(inspect.signature(self.plot).parameters)[1:]


FIGURES: dict[str, Figure] = {
    f.name: f
    for f in (
        Figure(
            name="fig1",
            title="Fashion-MNIST MLPs, depth 1-32: rank at initialisation and training accuracy against depth",
            table=tables.fig1,
            claims=claims.fig1,
            plot=plots.fig1,
            experiment="fig1",
        ),
        Figure(
            name="fig2",
            title="log rank of the last hidden layer against depth, BN vs vanilla, linear and ReLU",
            table=tables.fig2,
            claims=claims.fig2,
            plot=plots.fig2,
        ),
        Figure(
            name="fig3",
            title="(a) mean rank against width for several γ; (b) top eigenvalues from nearly collinear inputs",
            table=tables.fig3,
            claims=claims.fig3,
            plot=plots.fig3,
        ),
        Figure(
            name="fig4",
            title="CIFAR-10: training loss over epochs, rank-pretrained vanilla vs BN, growing depth",
            table=tables.training_curves,
            claims=claims.fig4,
            plot=plots.fig4,
            experiment="fig4",
        ),
        Figure(
            name="fig5",
            title="CIFAR-10 VGG19: breaking BN with a same-variance asymmetric init; BN without centring",
            table=tables.cnn_curves,
            claims=claims.breaking_bn,
            plot=plots.breaking_bn,
            experiment="vgg19",
        ),
        Figure(
            name="fig6",
            title="Fashion-MNIST, depth 32: training accuracy and r(H) over epochs for five variants",
            table=tables.fig6,
            claims=claims.fig6,
            plot=plots.fig6,
            experiment="fig6",
        ),
        Figure(
            name="fig7",
            title="CIFAR-10 VGG19: BN with and without centring, training accuracy and r(H) over iterations",
            table=tables.cnn_curves,
            claims=claims.fig7,
            plot=plots.fig7,
            experiment="vgg19",
        ),
        Figure(
            name="fig8",
            title="the regularity constant α against the length L of the ergodic average",
            table=tables.fig8,
            claims=claims.fig8,
            plot=plots.fig8,
        ),
        Figure(
            name="fig9",
            title="ergodic estimate of E‖M‖²_F against width, with the Lemma-13 bound",
            table=tables.fig9,
            claims=claims.fig9,
            plot=plots.fig9,
        ),
        Figure(
            name="fig10",
            title="CIFAR-10 VGG19: directional gradient vanishing without BN, at 100× lr and on random images",
            table=tables.cnn_curves,
            claims=claims.fig10,
            plot=plots.fig10,
            experiment="vgg19",
        ),
        Figure(
            name="fig11",
            title="Fig 4's runs: training accuracy and test loss over epochs",
            table=tables.training_curves,
            claims=claims.fig11,
            plot=plots.fig11,
            experiment="fig4",
        ),
        Figure(
            name="fig12",
            title="Fig 4 on Fashion-MNIST",
            table=tables.training_curves,
            claims=claims.fig4,
            plot=plots.fig4,
            experiment="fig12",
        ),
        Figure(
            name="fig13",
            title="CIFAR-10 ResNet-50: Fig 5's breaking of BN and BN without centring",
            table=tables.cnn_curves,
            claims=claims.breaking_bn,
            plot=plots.breaking_bn,
            experiment="resnet50",
        ),
        Figure(
            name="fig14",
            title="beyond the paper: BN orthogonalizes — the orthogonality gap over depth and its level against width",
            table=tables.fig14,
            claims=claims.fig14,
            plot=plots.fig14,
        ),
        Figure(
            name="fig15",
            title="beyond the paper: BN's gradient explosion at initialisation against batch size, and its remedy",
            table=tables.fig15,
            claims=claims.fig15,
            plot=plots.fig15,
        ),
        Figure(
            name="fig16",
            title="beyond the paper: −log I(G) over depth under LayerNorm and RMSNorm, its rate against β_σ²",
            table=tables.fig16,
            claims=claims.fig16,
            plot=plots.fig16,
        ),
    )
}


if __name__ == "__main__":  # python -m bnrank.figures: the figure targets of the workflow
    for f in FIGURES.values():
        reads = f"experiment {f.experiment}" if f.experiment else ", ".join(f.reads)
        print(f"{f.name:6} {f.title}  (reads {reads})")
