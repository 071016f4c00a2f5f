"""Where every artefact of the workflow lives: one method per artefact.

The rule that makes an artefact calls its method with wildcard patterns
(``paths.metrics("{experiment}", "{variant}", "{stage}")``); every rule, test and
tool that reads it calls the same method with values. Outputs of a preset go under
``results/<preset>/``; prepared data sets, shared by all presets, under the config's
``data.directory``; what belongs to no preset (the benchmark scripts' records, the test
report) directly under ``results/``, by the functions at the end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Paths:
    results: str  # results/<preset>
    data: str  # data.directory

    # ---------------------------------------------------------------- chains
    def depth_sweep(self) -> str:
        return f"{self.results}/sims/depth_sweep.csv"

    def width_sweep(self, width, kind: str) -> str:
        """``kind``: ``ranks`` (rank notions along the chain) or ``moments`` (Lemma-7 functionals)."""
        return f"{self.results}/sims/width_sweep/width{width}_{kind}.csv"

    def spectrum(self) -> str:
        return f"{self.results}/sims/spectrum.csv"

    def gradients(self) -> str:
        """Fig 15: ‖∂L/∂H_ℓ‖² of every BN network, run and layer."""
        return f"{self.results}/sims/gradients.csv"

    def isometry(self) -> str:
        """Fig 16: −log I(G) of every LayerNorm and RMSNorm chain, run and layer."""
        return f"{self.results}/sims/isometry.csv"

    def orthogonality(self) -> str:
        """Fig 14: the orthogonality gap of every chain, width, run and layer."""
        return f"{self.results}/sims/orthogonality.csv"

    # ---------------------------------------------------------------- data
    def dataset(self, name) -> str:
        return f"{self.data}/{name}.pt"

    def dataset_record(self, name) -> str:
        """What the data job prepared under ``name``: the data set (``cifar10_auto`` holds CIFAR-10
        or its stand-in) and its source (``bnrank.labels``)."""
        return f"{self.data}/{name}.json"

    def downloads(self) -> str:
        return f"{self.data}/downloads"

    def dataset_log(self, name) -> str:
        return f"{self.data}/logs/{name}.log"

    # ---------------------------------------------------------------- networks
    def init_weights(self, dataset, norm, scheme, depth, seed) -> str:
        return f"{self.results}/init/{dataset}/{norm}-{scheme}/depth{depth}/seed{seed}.npz"

    def pretrained_weights(self, experiment, variant, depth, seed) -> str:
        return f"{self.results}/pretrain/{experiment}/{variant}/depth{depth}/seed{seed}.npz"

    def pretrain_ranks(self, experiment, variant, depth, seed) -> str:
        """Rank notions of every hidden layer on the probe batch before and after pretraining."""
        return f"{self.results}/pretrain/{experiment}/{variant}/depth{depth}/seed{seed}.csv"

    def metrics(self, experiment, variant, stage) -> str:
        """Per-epoch metrics of one training stage (``settings.TrainingStage``) of a variant, all
        its depths: ``selection``, the rate grid on the selection seeds; ``reported``, the
        reported seeds at the chosen rate."""
        return f"{self.results}/train/{experiment}/{variant}/{stage}/metrics.csv"

    def ranks(self, experiment, variant, stage) -> str:
        """Rank notions of the measured hidden layers after every epoch, of one training stage."""
        return f"{self.results}/train/{experiment}/{variant}/{stage}/ranks.csv"

    def checkpoint(self, experiment, variant, stage) -> str:
        return f"{self.results}/train/{experiment}/{variant}/{stage}/checkpoint.pt"

    def finished_models(self, experiment, variant, depth) -> str:
        """The folder of finished models' results, kept so that a grown grid trains only new ones."""
        return f"{self.results}/train/{experiment}/{variant}/depth{depth}/models"

    def selected_lr(self, experiment) -> str:
        return f"{self.results}/train/{experiment}/selected_lr.csv"

    def init_ranks(self, experiment, variant) -> str:
        """Rank notions of every hidden layer at initialisation, over a grid of depths and seeds."""
        return f"{self.results}/measure/{experiment}/{variant}_init.csv"

    # ---------------------------------------------------------------- convolutional networks
    def cnn_init(self, architecture, width, norm, scheme, seed) -> str:
        """Initial weights (a state dict) of one CNN at a channel-width multiplier."""
        return f"{self.results}/init/cnn/{architecture}-width{width}/{norm}-{scheme}/seed{seed}.pt"

    def cnn_log(self, experiment, variant, seed) -> str:
        """One CNN run's records: training metrics and last-hidden-layer measurements over iterations."""
        return f"{self.results}/train/{experiment}/{variant}/seed{seed}/log.csv"

    def cnn_checkpoint(self, experiment, variant, seed) -> str:
        return f"{self.results}/train/{experiment}/{variant}/seed{seed}/checkpoint.pt"

    # ---------------------------------------------------------------- figures
    def table(self, figure) -> str:
        return f"{self.results}/tables/{figure}.csv"

    def claims(self, figure) -> str:
        return f"{self.results}/claims/{figure}.csv"

    def figure(self, figure, ext: str) -> str:
        return f"{self.results}/figures/{figure}.{ext}"

    def claims_report(self) -> str:
        return f"{self.results}/claims.md"

    def report_category(self, figure: str) -> str:
        """The category (the menu entry) of a figure's picture and claims in the Snakemake
        report: "Fig 01" for fig1. Snakemake's report lists categories sorted as text, so
        the number is zero-padded to list fig1, fig2, …, fig13 in the paper's order."""
        number = re.fullmatch(r"fig(\d+)(.*)", figure)
        return f"Fig {int(number[1]):02d}{number[2]}" if number else figure

    def figure_outputs(self, figure) -> list[str]:
        """Everything a figure target delivers: PDF, PNG, tidy table and claims."""
        return [self.figure(figure, "pdf"), self.figure(figure, "png"), self.table(figure), self.claims(figure)]

    # ---------------------------------------------------------------- bookkeeping
    def log(self, rule: str, job: str | None = None) -> str:
        """The log of a job: one file per rule, or a folder per rule with one file per job."""
        return f"{self.results}/logs/{rule}.log" if job is None else f"{self.results}/logs/{rule}/{job}.log"

    def benchmarks(self) -> str:
        """The folder of Snakemake's benchmark files: ``<rule>.tsv`` or ``<rule>/<job>.tsv``."""
        return f"{self.results}/benchmarks"

    def benchmark(self, rule: str, job: str | None = None) -> str:
        """Snakemake's benchmark file of a job (wall time, memory), laid out as its log."""
        stem = rule if job is None else f"{rule}/{job}"
        return f"{self.benchmarks()}/{stem}.tsv"

    def runs(self) -> str:
        """One row per finished ``snakemake`` invocation: when, what, how long."""
        return f"{self.results}/runs.tsv"


# -------------------------------------------------------------------- outside any preset
RESULTS = "results"  # the folder of every preset's outputs (results/<preset>) and of what follows


def bench_record(name: str, root: str = RESULTS) -> str:
    """The record of a benchmark script (``benchmarks/<script>.py --output``): JSON, for
    docs/results.md; ``name`` "*" gives the pattern of them all."""
    return f"{root}/bench/{name}.json"


def junit_report(root: str = RESULTS) -> str:
    """The JUnit report of ``make test``."""
    return f"{root}/tests.xml"
